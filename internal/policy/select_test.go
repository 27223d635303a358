package policy

import (
	"errors"
	"testing"
)

// repoTags is the repository of the scenario, plus neighbours that
// must not be chosen.
var repoTags = []string{
	"1.0.0", "1.0.1", "1.1.0", "2.0.0", "2.1.0-rc1", "1.1.0-alpine", "v3",
	"latest", "stable", "1.0", "1.1", "1.1.0-rc1", "1.0.2-alpine", "0.9.0",
}

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		name             string
		policy           Policy
		include, exclude string
		current          string
		tags             []string // repoTags when nil
		want             Selection
	}{
		// The repository, one current tag per line and policy.
		{name: "patch from 1.0.0", policy: Patch, current: "1.0.0", want: Selection{Tag: "1.0.1", Latest: "2.0.0"}},
		{name: "minor from 1.0.0", policy: Minor, current: "1.0.0", want: Selection{Tag: "1.1.0", Latest: "2.0.0"}},
		{name: "major from 1.0.0", policy: Major, current: "1.0.0", want: Selection{Tag: "2.0.0", Latest: "2.0.0"}},
		{name: "patch from 1.0.1", policy: Patch, current: "1.0.1", want: Selection{Latest: "2.0.0"}},
		{name: "minor from 1.1.0", policy: Minor, current: "1.1.0", want: Selection{Latest: "2.0.0"}},
		{name: "major from 2.0.0", policy: Major, current: "2.0.0"},
		{name: "a release never moves to a pre-release", policy: Major, current: "2.0.0", tags: []string{"2.0.0", "2.1.0-rc1", "3.0.0-beta"}},
		{name: "a pre-release moves to a later pre-release", policy: Minor, current: "2.0.0-rc1", tags: []string{"2.0.0-rc1", "2.1.0-rc1", "2.0.0-beta"}, want: Selection{Tag: "2.1.0-rc1", Latest: "2.1.0-rc1"}},
		{name: "a pre-release with nothing newer", policy: Patch, current: "2.1.0-rc1"},
		{name: "a pre-release moves to its release when there is one", policy: Patch, current: "2.1.0-rc1", tags: []string{"2.1.0-rc2", "2.1.0", "2.2.0"}, want: Selection{Tag: "2.1.0", Latest: "2.2.0"}},
		{name: "suffix kept under major", policy: Major, current: "1.0.2-alpine", want: Selection{Tag: "1.1.0-alpine", Latest: "1.1.0-alpine"}},
		{name: "suffix kept under patch", policy: Patch, current: "1.0.2-alpine", want: Selection{Latest: "1.1.0-alpine"}},
		{name: "a plain tag never moves to a suffixed one", policy: Major, current: "1.1.0", tags: []string{"1.2.0-alpine", "2.0.0-slim"}},
		{name: "v kept", policy: Major, current: "v1", tags: repoTags, want: Selection{Tag: "v3", Latest: "v3"}},
		{name: "no v, no move to a v tag", policy: Major, current: "2", tags: []string{"v3", "3.0"}},
		{name: "two components stay two", policy: Minor, current: "1.0", want: Selection{Tag: "1.1", Latest: "1.1"}},
		{name: "1.27 never moves to 1.27.1", policy: Patch, current: "1.27", tags: []string{"1.27.1", "1.28.0"}},
		{name: "three components stay three", policy: Major, current: "0.9.0", want: Selection{Tag: "2.0.0", Latest: "2.0.0"}},
		{name: "the current tag need not be listed", policy: Minor, current: "1.0.5", want: Selection{Tag: "1.1.0", Latest: "2.0.0"}},
		{name: "nothing listed", policy: Major, current: "1.0.0", tags: []string{}},
		{name: "numbers compare as numbers", policy: Minor, current: "1.9.0", tags: []string{"1.10.0", "1.9.10", "1.9.9"}, want: Selection{Tag: "1.10.0", Latest: "1.10.0"}},
		{name: "the issue's example", policy: Minor, current: "1.4.2", tags: []string{"1.4.3", "1.9.0", "1.5.7", "2.0.0"}, want: Selection{Tag: "1.9.0", Latest: "2.0.0"}},
		{name: "ubuntu's leading zeros", policy: Major, current: "22.04", tags: []string{"22.10", "24.04", "23.04"}, want: Selection{Tag: "24.04", Latest: "24.04"}},
		{name: "the same version written twice is not newer", policy: Major, current: "1.2", tags: []string{"1.02", "1.2"}},
		{name: "equal versions: the greater string wins, in any order", policy: Major, current: "1.1", tags: []string{"1.03", "1.3"}, want: Selection{Tag: "1.3", Latest: "1.3"}},
		{name: "equal versions reversed", policy: Major, current: "1.1", tags: []string{"1.3", "1.03"}, want: Selection{Tag: "1.3", Latest: "1.3"}},
		{name: "dates move to dates", policy: Major, current: "20240101", tags: []string{"20240315", "3", "202401011"}, want: Selection{Tag: "20240315", Latest: "20240315"}},
		{name: "small numbers never move to dates", policy: Major, current: "3", tags: []string{"4", "20240101"}, want: Selection{Tag: "4", Latest: "4"}},
		{name: "calendar versions", policy: Minor, current: "2024.01.1", tags: []string{"2024.02.0", "2025.01.0", "24.03.0"}, want: Selection{Tag: "2024.02.0", Latest: "2025.01.0"}},
		{name: "dates under minor stay put", policy: Minor, current: "20240101", tags: []string{"20240315"}, want: Selection{Latest: "20240315"}},
		{name: "one component under patch", policy: Patch, current: "3", tags: []string{"4"}, want: Selection{Latest: "4"}},
		{name: "four components under patch", policy: Patch, current: "1.2.3.4", tags: []string{"1.2.3.5", "1.2.9.0", "1.3.0.0"}, want: Selection{Tag: "1.2.9.0", Latest: "1.3.0.0"}},
		{name: "invalid listed tags are ignored", policy: Major, current: "1.0.0", tags: []string{"1.5.0 ", "2.0.0+meta", "1.9.0/x", "", "1.2.0"}, want: Selection{Tag: "1.2.0", Latest: "1.2.0"}},
		// Patterns.
		{name: "include", policy: Major, include: `^1\.`, current: "1.0.0", want: Selection{Tag: "1.1.0", Latest: "1.1.0"}},
		{name: "exclude", policy: Major, exclude: `^2\.0\.0$`, current: "1.0.0", want: Selection{Tag: "1.1.0", Latest: "1.1.0"}},
		{name: "include matches anywhere", policy: Major, include: `1`, current: "1.0.0", want: Selection{Tag: "2.1.0", Latest: "2.1.0"}, tags: []string{"2.0.0", "2.1.0"}},
		{name: "include and exclude", policy: Major, include: `^1\.`, exclude: `\.1$`, current: "1.0.0", tags: []string{"1.0.1", "1.1.0", "1.2.1"}, want: Selection{Tag: "1.1.0", Latest: "1.1.0"}},
		{name: "exclude everything", policy: Major, exclude: `.`, current: "1.0.0"},
		// Fall back to digest.
		{name: "latest under minor", policy: Minor, current: "latest", want: Selection{Policy: Digest, Reason: `tag "latest" has no version number, so the minor policy cannot apply: following its digest`}},
		{name: "stable under major", policy: Major, current: "stable", want: Selection{Policy: Digest, Reason: `tag "stable" has no version number, so the major policy cannot apply: following its digest`}},
		{name: "empty current tag", policy: Patch, current: "", want: Selection{Policy: Digest, Reason: `tag "" has no version number, so the patch policy cannot apply: following its digest`}},
		{name: "digest looks at no tag", policy: Digest, current: "1.0.0", want: Selection{Policy: Digest}},
		{name: "digest with latest", policy: Digest, current: "latest", want: Selection{Policy: Digest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRules(tc.policy, tc.include, tc.exclude)
			if err != nil {
				t.Fatal(err)
			}
			tags := tc.tags
			if tags == nil {
				tags = repoTags
			}
			if tc.want.Policy == "" {
				tc.want.Policy = tc.policy
			}
			if got := r.Select(tc.current, tags); got != tc.want {
				t.Errorf("%s from %q among %v: got %+v, want %+v", tc.policy, tc.current, tags, got, tc.want)
			}
		})
	}
}

func TestSelectZeroRulesFollowDigests(t *testing.T) {
	if got, want := (Rules{}).Select("1.0.0", repoTags), (Selection{Policy: Digest}); got != want {
		t.Errorf("zero Rules: got %+v, want %+v", got, want)
	}
}

func TestNewRulesRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		policy           Policy
		include, exclude string
		want             string
	}{
		{policy: "minr", want: `policy "minr" is not one of digest, patch, minor, major`},
		{policy: "", want: `policy "" is not one of digest, patch, minor, major`},
		{policy: "Minor", want: `policy "Minor" is not one of digest, patch, minor, major`},
		{policy: Minor, include: `(`, want: "tag include pattern \"(\" is not a regular expression: error parsing regexp: missing closing ): `(`"},
		{policy: Minor, exclude: `[a-`, want: "tag exclude pattern \"[a-\" is not a regular expression: error parsing regexp: missing closing ]: `[a-`"},
		{policy: Minor, include: `^1\.`, exclude: `a{1001}`, want: "tag exclude pattern \"a{1001}\" is not a regular expression: error parsing regexp: invalid repeat count: `{1001}`"},
		{policy: Major, include: `(?<name`, want: "tag include pattern \"(?<name\" is not a regular expression: error parsing regexp: invalid named capture: `(?<name`"},
	} {
		r, err := NewRules(tc.policy, tc.include, tc.exclude)
		if err == nil {
			t.Errorf("NewRules(%q, %q, %q): got %+v, want error %q", tc.policy, tc.include, tc.exclude, r, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("NewRules(%q, %q, %q): got error %q, want %q", tc.policy, tc.include, tc.exclude, err, tc.want)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("NewRules(%q, %q, %q): error %v does not match ErrInvalid", tc.policy, tc.include, tc.exclude, err)
		}
		if r.Policy != "" || r.Include != nil || r.Exclude != nil {
			t.Errorf("NewRules(%q, %q, %q) failed but returned %+v", tc.policy, tc.include, tc.exclude, r)
		}
	}
}

func TestNewRulesPatterns(t *testing.T) {
	r, err := NewRules(Minor, `^1\.`, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Include == nil || r.Include.String() != `^1\.` || r.Exclude != nil {
		t.Errorf("NewRules(minor, `^1\\.`, \"\"): got include %v exclude %v, want include ^1\\. and no exclude", r.Include, r.Exclude)
	}
}

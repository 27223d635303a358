package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		tag  string
		want Version // zero: no version shape
	}{
		// Plain numbers, with and without v.
		{"1", Version{Numbers: []uint64{1}}},
		{"1.27", Version{Numbers: []uint64{1, 27}}},
		{"1.4.2", Version{Numbers: []uint64{1, 4, 2}}},
		{"1.2.3.4", Version{Numbers: []uint64{1, 2, 3, 4}}},
		{"v3", Version{Prefix: "v", Numbers: []uint64{3}}},
		{"v1.4.2", Version{Prefix: "v", Numbers: []uint64{1, 4, 2}}},
		{"0.0.0", Version{Numbers: []uint64{0, 0, 0}}},
		// Leading zeros read as numbers; dates are one wide number.
		{"22.04", Version{Numbers: []uint64{22, 4}}},
		{"1.02", Version{Numbers: []uint64{1, 2}}},
		{"20240101", Version{Numbers: []uint64{20240101}}},
		{"2024.01.05", Version{Numbers: []uint64{2024, 1, 5}}},
		{"18446744073709551615", Version{Numbers: []uint64{18446744073709551615}}},
		// Suffixes.
		{"1.27-alpine", Version{Numbers: []uint64{1, 27}, Suffix: "alpine"}},
		{"1.1.0-alpine", Version{Numbers: []uint64{1, 1, 0}, Suffix: "alpine"}},
		{"16.4-bookworm", Version{Numbers: []uint64{16, 4}, Suffix: "bookworm"}},
		{"1.27-alpine3.20", Version{Numbers: []uint64{1, 27}, Suffix: "alpine3.20"}},
		{"3.12-slim-bookworm", Version{Numbers: []uint64{3, 12}, Suffix: "slim-bookworm"}},
		{"1.2.3-devel", Version{Numbers: []uint64{1, 2, 3}, Suffix: "devel"}},
		{"1.2.3-ls123", Version{Numbers: []uint64{1, 2, 3}, Suffix: "ls123"}},
		{"1.2.3-1", Version{Numbers: []uint64{1, 2, 3}, Suffix: "1"}},
		{"1.2.3-", Version{}},
		{"1.2.3--x", Version{Numbers: []uint64{1, 2, 3}, Suffix: "-x"}},
		// Pre-releases, dashed or attached, with and without a suffix.
		{"2.1.0-rc1", Version{Numbers: []uint64{2, 1, 0}, Pre: "rc1"}},
		{"2.1.0-rc.1", Version{Numbers: []uint64{2, 1, 0}, Pre: "rc.1"}},
		{"2.1.0-rc-1", Version{Numbers: []uint64{2, 1, 0}, Pre: "rc-1"}},
		{"2.1.0-RC1", Version{Numbers: []uint64{2, 1, 0}, Pre: "RC1"}},
		{"1.0.0-beta.2", Version{Numbers: []uint64{1, 0, 0}, Pre: "beta.2"}},
		{"1.0.0-alpha", Version{Numbers: []uint64{1, 0, 0}, Pre: "alpha"}},
		{"1.0.0-preview2", Version{Numbers: []uint64{1, 0, 0}, Pre: "preview2"}},
		{"1.0.0-dev", Version{Numbers: []uint64{1, 0, 0}, Pre: "dev"}},
		{"3.14.0rc2", Version{Numbers: []uint64{3, 14, 0}, Pre: "rc2"}},
		{"3.14.0a7", Version{Numbers: []uint64{3, 14, 0}, Pre: "a7"}},
		{"3.14.0b1-slim", Version{Numbers: []uint64{3, 14, 0}, Pre: "b1", Suffix: "slim"}},
		{"3.0.0-rc1-alpine", Version{Numbers: []uint64{3, 0, 0}, Pre: "rc1", Suffix: "alpine"}},
		{"v2.0.0-beta.3-alpine", Version{Prefix: "v", Numbers: []uint64{2, 0, 0}, Pre: "beta.3", Suffix: "alpine"}},
		{"2.0.0-rc-alpine", Version{Numbers: []uint64{2, 0, 0}, Pre: "rc", Suffix: "alpine"}},
		{"2.0.0-rc99999999999999999999", Version{Numbers: []uint64{2, 0, 0}, Pre: "rc99999999999999999999"}},
		// A pre-release word followed by something else is a suffix.
		{"1.2.3-rc1.x", Version{Numbers: []uint64{1, 2, 3}, Suffix: "rc1.x"}},
		{"1.2.3-rcx", Version{Numbers: []uint64{1, 2, 3}, Suffix: "rcx"}},
		{"1.2.3-preview-alpine", Version{Numbers: []uint64{1, 2, 3}, Pre: "preview", Suffix: "alpine"}},
		// Not versions.
		{"latest", Version{}},
		{"stable", Version{}},
		{"main", Version{}},
		{"sha-1a2b3c", Version{}},
		{"alpine", Version{}},
		{"v", Version{}},
		{"V1.2", Version{}},
		{"vv1", Version{}},
		{"version-1.2.3", Version{}},
		{"1.", Version{}},
		{"1..2", Version{}},
		{".1", Version{}},
		{"-1", Version{}},
		{"1.2.3alpine", Version{}},
		{"1.2.3rcx", Version{}},
		{"1.2.3_4", Version{}},
		{"17.0.9_9-jdk", Version{}},
		{"1.2.3+build", Version{}},
		{"1.2.x", Version{}},
		{"18446744073709551616", Version{}},
		{"1.2 ", Version{}},
		{"1.2/3", Version{}},
		{"", Version{}},
		{"1" + strings.Repeat(".1", 64), Version{}},
	} {
		got, ok := ParseVersion(tc.tag)
		if tc.want.Numbers == nil {
			if ok {
				t.Errorf("ParseVersion(%q): got %+v, want no version shape", tc.tag, got)
			}
			continue
		}
		tc.want.Tag = tc.tag
		if !ok {
			t.Errorf("ParseVersion(%q): got no version shape, want %+v", tc.tag, tc.want)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseVersion(%q) (-want +got):\n%s", tc.tag, diff)
		}
	}
}

func TestCompare(t *testing.T) {
	// Each line is newer than the one before it, or equal when marked.
	for _, chain := range [][]string{
		{"1", "2", "10", "20240101"},
		{"1.2", "1.2.0", "1.2.1", "1.10.0", "2.0.0"},
		{"1.9.9", "2.0.0-dev", "2.0.0-alpha", "2.0.0-a2", "2.0.0-beta", "2.0.0-beta.2", "2.0.0-b3", "2.0.0-pre1", "2.0.0-rc1", "2.0.0-rc.2", "2.0.0-rc10", "2.0.0"},
		{"2.0.0-rc1", "2.0.0-rc1.1", "2.0.0-rc2", "2.0.0-rc99999999999999999999", "2.0.0"},
		{"3.14.0a7", "3.14.0b1", "3.14.0rc2", "3.14.0"},
	} {
		for i := 1; i < len(chain); i++ {
			a, _ := ParseVersion(chain[i-1])
			b, ok := ParseVersion(chain[i])
			if !ok {
				t.Fatalf("ParseVersion(%q): no version shape", chain[i])
			}
			if got := Compare(a, b); got != -1 {
				t.Errorf("Compare(%s, %s): got %d, want -1", a.Tag, b.Tag, got)
			}
			if got := Compare(b, a); got != 1 {
				t.Errorf("Compare(%s, %s): got %d, want 1", b.Tag, a.Tag, got)
			}
		}
	}
	for _, pair := range [][2]string{
		{"1.02", "1.2"},
		{"22.04", "22.4"},
		{"1.2.3", "v1.2.3"},
		{"1.2.3-alpine", "1.2.3"},
		{"2.0.0-rc1", "2.0.0-RC1"},
		{"2.0.0-rc.1", "2.0.0-rc-1"},
		{"2.0.0-a1", "2.0.0-alpha1"},
		{"2.0.0-dev", "2.0.0-nightly"},
	} {
		a, _ := ParseVersion(pair[0])
		b, _ := ParseVersion(pair[1])
		if got := Compare(a, b); got != 0 {
			t.Errorf("Compare(%s, %s): got %d, want 0 (the same version)", pair[0], pair[1], got)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Policy
	}{
		{"digest", Digest},
		{"patch", Patch},
		{"minor", Minor},
		{"major", Major},
		{" Minor\n", Minor},
		{"MAJOR", Major},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q): got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", " ", "minr", "semver", "latest", "regex:^1", "minor,major", "patch " + "x"} {
		got, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q): got %q, want an error", in, got)
			continue
		}
		want := fmt.Sprintf("policy %q is not one of digest, patch, minor, major", in)
		if err.Error() != want {
			t.Errorf("Parse(%q): got error %q, want %q", in, err, want)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q): error %v does not match ErrInvalid", in, err)
		}
	}
}

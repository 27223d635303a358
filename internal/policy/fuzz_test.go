package policy

import (
	"slices"
	"strings"
	"testing"
)

// FuzzSelect checks, for any current tag and list of tags as a label or a
// registry may send them, that parsing and ordering are consistent and that
// what Select offers obeys every rule it documents.
func FuzzSelect(f *testing.F) {
	for _, s := range [][3]string{
		{"1.0.0", "1.0.0,1.0.1,1.1.0,2.0.0,2.1.0-rc1,1.1.0-alpine,v3", "minor"},
		{"2.1.0-rc1", "2.1.0-rc2,2.1.0,2.2.0-beta.1", "major"},
		{"1.27-alpine", "1.27-alpine,1.28-alpine,1.28,1.28.0-alpine", "patch"},
		{"v1.2", "v1.3,v2.0,1.4", "major"},
		{"latest", "1.0,2.0", "minor"},
		{"22.04", "22.10,24.04,20240101", "major"},
		{"3.14.0rc2-slim", "3.14.0-slim,3.14.0rc3-slim,3.14.1b1-slim", "minor"},
		{"1.2.3-rc.1-2", "1.2.3-rc.1-3,1.2.3-rc-1", "patch"},
		{"18446744073709551615", "18446744073709551616,1", "major"},
		{"", ",,", "digest"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, current, list, policy string) {
		tags := strings.Split(list, ",")
		for _, tag := range append([]string{current}, tags...) {
			v, ok := ParseVersion(tag)
			if !ok {
				continue
			}
			if v.Tag != tag || len(v.Numbers) == 0 || !strings.HasPrefix(tag, v.Prefix) ||
				v.Suffix != "" && !strings.HasSuffix(tag, "-"+v.Suffix) || !strings.Contains(tag, v.Pre) {
				t.Fatalf("ParseVersion(%q): got %+v, which does not describe the tag", tag, v)
			}
			if Compare(v, v) != 0 {
				t.Fatalf("Compare(%q, itself) != 0", tag)
			}
			if w, ok := ParseVersion(current); ok && Compare(v, w) != -Compare(w, v) {
				t.Fatalf("Compare(%q, %q) = %d but the reverse is %d", tag, current, Compare(v, w), Compare(w, v))
			}
		}
		p, err := Parse(policy)
		if err != nil {
			return
		}
		r, err := NewRules(p, "", "")
		if err != nil {
			t.Fatalf("NewRules(%q): %v for a policy Parse accepted", p, err)
		}
		sel := r.Select(current, tags)
		cur, curOK := ParseVersion(current)
		switch {
		case p == Digest || !curOK:
			if sel.Policy != Digest || sel.Tag != "" || sel.Latest != "" || (p != Digest) != (sel.Reason != "") {
				t.Fatalf("%s from %q: got %+v, want a digest fallback", p, current, sel)
			}
			return
		case sel.Policy != p || sel.Reason != "":
			t.Fatalf("%s from %q: got %+v, want policy %s without a reason", p, current, sel, p)
		case sel.Tag != "" && sel.Latest == "":
			t.Fatalf("%s from %q: offered %q with no latest", p, current, sel.Tag)
		}
		for _, offered := range []string{sel.Tag, sel.Latest} {
			if offered == "" {
				continue
			}
			v, ok := ParseVersion(offered)
			switch {
			case !slices.Contains(tags, offered) || !ok:
				t.Fatalf("%s from %q: offered %q, which is not a listed version", p, current, offered)
			case !cur.sameShape(v):
				t.Fatalf("%s from %q: offered %q, which has another shape", p, current, offered)
			case Compare(v, cur) <= 0:
				t.Fatalf("%s from %q: offered %q, which is not newer", p, current, offered)
			case v.Pre != "" && cur.Pre == "":
				t.Fatalf("%s from %q: offered pre-release %q", p, current, offered)
			}
		}
		if sel.Tag != "" {
			v, _ := ParseVersion(sel.Tag)
			l, _ := ParseVersion(sel.Latest)
			if !withinRange(cur, v, p.fixed()) || Compare(v, l) > 0 {
				t.Fatalf("%s from %q: offered %q out of range or above latest %q", p, current, sel.Tag, sel.Latest)
			}
		}
	})
}

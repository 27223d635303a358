package policy

import (
	"fmt"
	"regexp"
)

// Rules are a container's policy and the patterns that narrow its
// candidate tags (the cutover.tag.include and cutover.tag.exclude labels).
type Rules struct {
	Policy Policy
	// Include, when set, admits only the tags it matches.
	Include *regexp.Regexp
	// Exclude, when set, rules out the tags it matches.
	Exclude *regexp.Regexp
}

// NewRules checks p and compiles the patterns; an empty pattern sets no
// limit. A pattern matches anywhere in a tag unless anchored with ^ and $,
// as in regexp.MatchString. Errors match ErrInvalid and quote the value.
func NewRules(p Policy, include, exclude string) (Rules, error) {
	if !p.valid() {
		return Rules{}, invalid{fmt.Sprintf("policy %q is not one of digest, patch, minor, major", string(p))}
	}
	r := Rules{Policy: p}
	var err error
	if r.Include, err = compile("include", include); err != nil {
		return Rules{}, err
	}
	if r.Exclude, err = compile("exclude", exclude); err != nil {
		return Rules{}, err
	}
	return r, nil
}

func compile(which, expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, invalid{fmt.Sprintf("tag %s pattern %q is not a regular expression: %v", which, expr, err)}
	}
	return re, nil
}

// Selection is what Select chose.
type Selection struct {
	// Policy is the policy that applies: the rules' own, or Digest when the
	// current tag has no version shape.
	Policy Policy
	// Tag is the offered tag: the highest version of the current tag's
	// shape, newer than it, within the policy's range and admitted by the
	// patterns. "" when there is none, and always under Digest, whose
	// offer is a newer digest of the same tag.
	Tag string
	// Latest is the highest admitted version of the current tag's shape
	// newer than it, whatever the policy's range: Tag when the range holds
	// it, a version the policy keeps out otherwise (2.0.0 under minor from
	// 1.4.2), "" when there is none. Empty under Digest.
	Latest string
	// Reason says, when Policy is not the rules' own, why.
	Reason string
}

// Select chooses, among a repository's tags, the tag offered to a
// container on current. Under Digest it looks at no tag and offers none.
// A candidate has current's shape, is newer, is a release unless current
// is a pre-release, shares the numbers the policy keeps fixed (patch: the
// first two, minor: the first), and passes the patterns. Among versions
// that are equal but written differently (1.02, 1.2), the greatest string
// wins, so the choice does not depend on the order of tags.
func (r Rules) Select(current string, tags []string) Selection {
	if r.Policy == Digest || !r.Policy.valid() {
		return Selection{Policy: Digest}
	}
	cur, ok := ParseVersion(current)
	if !ok {
		return Selection{
			Policy: Digest,
			Reason: fmt.Sprintf("tag %q has no version number, so the %s policy cannot apply: following its digest", current, r.Policy),
		}
	}
	var best, latest Version
	for _, t := range tags {
		c, ok := ParseVersion(t)
		if !ok || !r.candidate(cur, c) {
			continue
		}
		if newer(c, latest) {
			latest = c
		}
		if withinRange(cur, c, r.Policy.fixed()) && newer(c, best) {
			best = c
		}
	}
	return Selection{Policy: r.Policy, Tag: best.Tag, Latest: latest.Tag}
}

// candidate reports whether c may be offered to a container on cur under
// some range: same shape, newer, release unless cur is not, admitted.
func (r Rules) candidate(cur, c Version) bool {
	switch {
	case !cur.sameShape(c), Compare(c, cur) <= 0, c.Pre != "" && cur.Pre == "":
		return false
	case r.Include != nil && !r.Include.MatchString(c.Tag):
		return false
	case r.Exclude != nil && r.Exclude.MatchString(c.Tag):
		return false
	}
	return true
}

// withinRange reports whether c shares cur's first fixed numbers.
func withinRange(cur, c Version, fixed int) bool {
	for i := 0; i < fixed && i < len(cur.Numbers); i++ {
		if c.Numbers[i] != cur.Numbers[i] {
			return false
		}
	}
	return true
}

// newer reports whether c beats best, the best so far (zero for none).
func newer(c, best Version) bool {
	if best.Tag == "" {
		return true
	}
	if d := Compare(c, best); d != 0 {
		return d > 0
	}
	return c.Tag > best.Tag
}

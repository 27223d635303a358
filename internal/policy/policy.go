package policy

import (
	"errors"
	"fmt"
	"strings"
)

// Policy says how far a container may move from its current tag.
type Policy string

// The policies, from the most to the least conservative.
const (
	// Digest keeps the tag and follows its newest digest.
	Digest Policy = "digest"
	// Patch moves to the highest version with the same first two numbers.
	Patch Policy = "patch"
	// Minor moves to the highest version with the same first number.
	Minor Policy = "minor"
	// Major moves to the highest version of any number.
	Major Policy = "major"
)

// ErrInvalid is matched (errors.Is) by every error this package returns: the
// value came from a user (a label, a flag, a request) and cannot be used.
var ErrInvalid = errors.New("invalid policy or tag pattern")

// invalid is an error about a user's value, in words the user can act on.
type invalid struct{ msg string }

func (e invalid) Error() string        { return e.msg }
func (e invalid) Is(target error) bool { return target == ErrInvalid }

// Parse reads a policy as a label or flag gives it, ignoring case and
// surrounding spaces. An empty or unknown value is an error, so that a typo
// in a label is reported rather than read as the default.
func Parse(s string) (Policy, error) {
	p := Policy(strings.ToLower(strings.TrimSpace(s)))
	if p.valid() {
		return p, nil
	}
	return "", invalid{fmt.Sprintf("policy %q is not one of digest, patch, minor, major", s)}
}

func (p Policy) valid() bool {
	switch p {
	case Digest, Patch, Minor, Major:
		return true
	}
	return false
}

// fixed is how many leading numbers a candidate must share with the
// current tag.
func (p Policy) fixed() int {
	switch p {
	case Patch:
		return 2
	case Minor:
		return 1
	}
	return 0
}

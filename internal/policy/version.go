package policy

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Version is a tag read as a version (see the package documentation for
// the shape).
type Version struct {
	// Tag is the tag as written: "v1.4.2-rc1-alpine".
	Tag string
	// Prefix is "v" or "".
	Prefix string
	// Numbers are the dot-separated numbers: 1, 4, 2.
	Numbers []uint64
	// Pre is the pre-release without its dash, "rc1"; "" for a release.
	Pre string
	// Suffix is the flavour without its dash, "alpine"; "" for none.
	Suffix string
}

// maxTag is the longest tag a registry accepts.
const maxTag = 128

// ParseVersion reads tag as a version. It reports false for a tag with no
// version shape (latest, stable, sha-1a2b3c) and for a string that is not
// a valid tag at all.
func ParseVersion(tag string) (Version, bool) {
	if !validTag(tag) {
		return Version{}, false
	}
	v := Version{Tag: tag}
	s := tag
	if rest, ok := strings.CutPrefix(s, "v"); ok {
		v.Prefix, s = "v", rest
	}
	for {
		n := digits(s)
		if n == 0 {
			return Version{}, false
		}
		x, err := strconv.ParseUint(s[:n], 10, 64)
		if err != nil {
			return Version{}, false
		}
		v.Numbers = append(v.Numbers, x)
		s = s[n:]
		if len(s) < 2 || s[0] != '.' || digits(s[1:]) == 0 {
			break
		}
		s = s[1:]
	}
	if pre, rest, ok := cutPre(s); ok {
		v.Pre, s = pre, rest
	}
	switch {
	case s == "":
	case len(s) > 1 && s[0] == '-':
		v.Suffix = s[1:]
	default:
		return Version{}, false
	}
	return v, true
}

// validTag is the registry's grammar for a tag: [A-Za-z0-9_][A-Za-z0-9_.-]*,
// at most 128 characters.
func validTag(s string) bool {
	if s == "" || len(s) > maxTag || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !isLetter(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// digits counts the decimal digits s starts with.
func digits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// preWords are the words that open a pre-release, longest first so that
// "preview" is not read as "pre", with their rank in release order.
var preWords = [...]struct {
	word string
	rank int
}{
	{"snapshot", 0}, {"nightly", 0}, {"preview", 3}, {"canary", 0},
	{"alpha", 1}, {"beta", 2}, {"dev", 0}, {"pre", 3}, {"rc", 4}, {"a", 1}, {"b", 2},
}

// cutPre cuts a pre-release off the start of s, which follows the numbers:
// an optional dash, a pre-release word not followed by a letter (so that
// "-alpine" and "-devel" are suffixes), then numbers each optionally led by
// "." or "-". What remains must be empty or start a suffix.
func cutPre(s string) (pre, rest string, ok bool) {
	body := strings.TrimPrefix(s, "-")
	w := preWord(body)
	if w < 0 {
		return "", s, false
	}
	i := len(preWords[w].word)
	for {
		j := i
		if j < len(body) && (body[j] == '.' || body[j] == '-') {
			j++
		}
		n := digits(body[j:])
		if n == 0 {
			break
		}
		i = j + n
	}
	if i < len(body) && body[i] != '-' {
		return "", s, false
	}
	return body[:i], body[i:], true
}

// preWord returns the index in preWords of the word s starts with, or -1.
func preWord(s string) int {
	for i, p := range preWords {
		n := len(p.word)
		if len(s) >= n && strings.EqualFold(s[:n], p.word) && (len(s) == n || !isLetter(s[n])) {
			return i
		}
	}
	return -1
}

// Compare orders two versions by precedence: numbers as numbers (a missing
// trailing number counts as lower: 1.2 < 1.2.0), then a pre-release before
// its release, pre-releases by word rank and then their numbers. It returns
// 0 for the same version written differently (1.02 and 1.2); prefix and
// suffix play no part.
func Compare(a, b Version) int {
	if c := slices.Compare(a.Numbers, b.Numbers); c != 0 {
		return c
	}
	switch {
	case a.Pre == "" && b.Pre == "":
		return 0
	case a.Pre == "":
		return 1
	case b.Pre == "":
		return -1
	}
	ra, na := preKey(a.Pre)
	rb, nb := preKey(b.Pre)
	if c := cmp.Compare(ra, rb); c != 0 {
		return c
	}
	return slices.Compare(na, nb)
}

// preKey returns a pre-release's rank and numbers ("rc.1-2": 4, [1 2]).
// Numbers too long for uint64 count as the largest.
func preKey(pre string) (int, []uint64) {
	w := preWord(pre)
	if w < 0 {
		return -1, nil
	}
	var nums []uint64
	s := pre[len(preWords[w].word):]
	for s != "" {
		if s[0] == '.' || s[0] == '-' {
			s = s[1:]
		}
		n := digits(s)
		if n == 0 {
			break
		}
		x, err := strconv.ParseUint(s[:n], 10, 64)
		if err != nil {
			x = ^uint64(0)
		}
		nums = append(nums, x)
		s = s[n:]
	}
	return preWords[w].rank, nums
}

// sameShape reports whether w is written the way v is: same prefix, as many
// numbers, same suffix, and a first number of the same kind (a year or date
// of four or more digits, or not).
func (v Version) sameShape(w Version) bool {
	if v.Prefix != w.Prefix || len(v.Numbers) != len(w.Numbers) || v.Suffix != w.Suffix {
		return false
	}
	dv, dw := v.firstDigits(), w.firstDigits()
	return dv == dw || dv < dateDigits && dw < dateDigits
}

// dateDigits is how many digits make a first number a year or a date.
const dateDigits = 4

// firstDigits counts the digits of the first number as written.
func (v Version) firstDigits() int { return digits(v.Tag[len(v.Prefix):]) }

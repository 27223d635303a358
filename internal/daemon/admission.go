package daemon

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/cutover/cutover/internal/engine"
)

// Admission decides what the deploy webhook may do: which containers it may
// recreate, and on which images. A deploy names its container and image
// itself, so the watch settings that choose containers for passes
// (--label-enable, the names given) do not apply; those that say "leave this
// one alone" do.
type Admission struct {
	// Filter's enable=false label, scope and disabled names apply.
	Filter Filter
	// MonitorOnly refuses every deploy, as it stops every update;
	// LabelTakePrecedence lets a container's monitor-only=false label win.
	MonitorOnly         bool
	LabelTakePrecedence bool
	// Allow, when not empty, lists the repositories images may come from.
	Allow AllowList
}

// Admit returns nil when a deploy of ref to c may go ahead, else an error
// wrapping engine.ErrRefused that says why, in the user's terms.
func (a Admission) Admit(c engine.Container, ref engine.Reference) error {
	monitor, monitorSet := engine.LabelBool(c, "monitor-only")
	switch {
	case a.MonitorOnly && !(a.LabelTakePrecedence && monitorSet && !monitor):
		return refusedf("cutover runs with --monitor-only: it changes no container, deploys included")
	case !a.Allow.Allows(ref):
		return refusedf("image '%s' is not allowed by --deploy-allow (%s)", ref.Normal, a.Allow)
	case engine.Excluded(c):
		return refusedf("container '%s' is labelled %s=false: cutover leaves it alone", c.Name, labelName(c, "enable"))
	case a.Filter.disabledByName(c):
		return refusedf("container '%s' is in --disable-containers: cutover leaves it alone", c.Name)
	case !a.Filter.inScope(c):
		return refusedf("container '%s' is not in this cutover's scope: %s", c.Name, a.Filter.scopeMismatch(c))
	case monitor:
		return refusedf("container '%s' is labelled %s=true: cutover only checks it", c.Name, labelName(c, "monitor-only"))
	}
	return nil
}

func refusedf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), engine.ErrRefused)
}

// labelName is the label c carries for key, under whichever prefix it has.
func labelName(c engine.Container, key string) string {
	if _, ok := c.Labels[engine.LabelPrefix+key]; ok {
		return engine.LabelPrefix + key
	}
	return engine.WatchtowerLabelPrefix + key
}

// scopeMismatch says how c's scope label differs from the instance's.
func (f Filter) scopeMismatch(c engine.Container) string {
	scope, scoped := engine.Label(c, "scope")
	switch {
	case f.Scope == "none":
		return fmt.Sprintf("it has the scope label %q, and --scope none takes only containers without one", scope)
	case !scoped:
		return fmt.Sprintf("--scope is %q and it has no scope label", f.Scope)
	}
	return fmt.Sprintf("--scope is %q and its scope label is %q", f.Scope, scope)
}

// AllowList is the repositories the deploy webhook may deploy from, as
// --deploy-allow patterns. The empty list allows every repository.
type AllowList struct {
	patterns []string
	res      []*regexp.Regexp
}

// ParseAllowList reads --deploy-allow patterns. A pattern names repositories
// the way users write them, without tag or digest: "nginx",
// "registry.example.com/team/web". In a pattern, * stands for any part of
// one path component, ** for any run of components, ? for one character.
func ParseAllowList(patterns []string) (AllowList, error) {
	var l AllowList
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if err := checkPattern(p); err != nil {
			return AllowList{}, fmt.Errorf("--deploy-allow %q: %w", p, err)
		}
		l.patterns = append(l.patterns, p)
		l.res = append(l.res, globRegexp(p))
	}
	return l, nil
}

// pathChars are the characters of a repository path and its host, and the
// wildcards.
var pathChars = regexp.MustCompile(`^[a-z0-9._\-/:\[\]*?]+$`)

func checkPattern(p string) error {
	slash := strings.LastIndex(p, "/")
	switch {
	case p == "":
		return fmt.Errorf("empty pattern: name a repository, such as registry.example.com/team/*")
	case strings.Contains(p, "@") || strings.LastIndex(p, ":") > slash && slash >= 0 || slash < 0 && strings.Contains(p, ":"):
		return fmt.Errorf("a pattern names repositories, without tag or digest")
	case !pathChars.MatchString(p):
		return fmt.Errorf("want a repository in lower case, with * ** or ? as wildcards")
	case strings.Contains(p, "***"):
		return fmt.Errorf("*** means nothing more than **")
	}
	return nil
}

func globRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch {
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case p[i] == '*':
			b.WriteString("[^/]*")
		case p[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// Allows reports whether ref's repository matches a pattern. A Docker Hub
// repository matches under each of its spellings: "nginx",
// "library/nginx", "docker.io/library/nginx", "index.docker.io/library/nginx".
func (l AllowList) Allows(ref engine.Reference) bool {
	if len(l.res) == 0 {
		return true
	}
	names := spellings(ref)
	for _, re := range l.res {
		for _, n := range names {
			if re.MatchString(n) {
				return true
			}
		}
	}
	return false
}

func spellings(ref engine.Reference) []string {
	out := []string{ref.Repository}
	path, hub := strings.CutPrefix(ref.Repository, "index.docker.io/")
	if !hub {
		return out
	}
	out = append(out, "docker.io/"+path, path)
	if short, ok := strings.CutPrefix(path, "library/"); ok {
		out = append(out, short)
	}
	return out
}

// String lists the patterns, or says that every repository is allowed.
func (l AllowList) String() string {
	if len(l.patterns) == 0 {
		return "every repository"
	}
	return "allowed: " + strings.Join(l.patterns, ", ")
}

// Patterns returns the patterns as given.
func (l AllowList) Patterns() []string { return slices.Clone(l.patterns) }

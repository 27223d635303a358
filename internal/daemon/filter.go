package daemon

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cutover/cutover/internal/engine"
)

// Filter decides which containers the daemon watches, with Watchtower's
// semantics for each setting.
type Filter struct {
	// Names, when set, limits watching to the containers they match: a name
	// matches itself, with or without the leading slash the engine gives
	// it, and is otherwise a regular expression the whole name must match,
	// as Watchtower's positional arguments were.
	Names []string
	// Disabled containers are never watched (with or without the slash).
	Disabled []string
	// LabelEnable watches only containers whose enable label is true.
	LabelEnable bool
	// Scope watches only containers whose scope label equals it; "none"
	// watches only containers without a scope label, or labelled "none";
	// "" watches all.
	Scope string
	// IncludeStopped and IncludeRestarting widen watching beyond running
	// containers.
	IncludeStopped    bool
	IncludeRestarting bool
	// ShowDisabled keeps containers labelled enable=false. Passes leave
	// them out before anything is checked, as Watchtower did: they are not
	// asked about, counted or notified. The dashboard still shows them.
	ShowDisabled bool
}

// Claims reports whether a container that belongs to the container named
// base (itself, or a copy a swap made of it) is this daemon's to look after,
// whatever its state or enable label: recovery settles the swaps of what it
// watches, including those an update on request made of a disabled one.
func (f Filter) Claims(c engine.Container, base string) bool {
	c.Name, c.State = base, engine.StateRunning
	f.ShowDisabled = true
	return f.Admits(c)
}

// Admits reports whether c is watched.
func (f Filter) Admits(c engine.Container) bool {
	switch c.State {
	case engine.StateRunning, engine.StatePaused:
		// A paused container is watched and reported; the plan says why it
		// is not updated.
	case engine.StateRestarting:
		if !f.IncludeRestarting {
			return false
		}
	default:
		if !f.IncludeStopped {
			return false
		}
	}
	if engine.IsLeftover(c) {
		return false
	}
	if len(f.Names) > 0 && !slices.ContainsFunc(f.Names, func(n string) bool { return nameMatches(n, c.Name) }) {
		return false
	}
	if f.disabledByName(c) {
		return false
	}
	if !f.ShowDisabled && engine.Excluded(c) {
		return false
	}
	if f.LabelEnable {
		if on, set := engine.LabelBool(c, "enable"); !set || !on {
			return false
		}
	}
	return f.inScope(c)
}

// disabledByName reports whether --disable-containers names c, with or
// without the engine's leading slash.
func (f Filter) disabledByName(c engine.Container) bool {
	return slices.ContainsFunc(f.Disabled, func(n string) bool { return strings.TrimPrefix(n, "/") == c.Name })
}

// inScope reports whether c's scope label puts it in this instance's scope.
func (f Filter) inScope(c engine.Container) bool {
	scope, scoped := engine.Label(c, "scope")
	switch {
	case f.Scope == "none":
		return !scoped || scope == "" || scope == "none"
	case f.Scope != "":
		return scope == f.Scope
	}
	return true
}

// nameMatches applies one positional name to a container name, which the
// engine reports as "/name": an exact match with or without the slash, or a
// regular expression whose leftmost match covers the name, give or take that
// slash at the start and one character at the end, which is how Watchtower
// compared them.
func nameMatches(pattern, name string) bool {
	full := "/" + name
	if pattern == name || pattern == full {
		return true
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return false
	}
	loc := re.FindStringIndex(full)
	return loc != nil && loc[0] <= 1 && loc[1] >= len(full)-1
}

// Toggles are the persisted per-container auto-update choices.
type Toggles interface {
	// AutoUpdate returns a container's toggle and whether one was set.
	AutoUpdate(name string) (on, set bool)
}

// Policy decides which watched containers a periodic pass updates: a
// persisted toggle first, then the enable label, then Image Watch's
// auto-update label, then the default.
type Policy struct {
	Default bool
	Toggles Toggles
}

// ImageWatchLabel is Image Watch's per-container auto-update switch.
const ImageWatchLabel = "image-watch.auto-update"

// AutoUpdate reports whether a periodic pass updates c, and why.
func (p Policy) AutoUpdate(c engine.Container) (bool, string) {
	if p.Toggles != nil {
		if on, set := p.Toggles.AutoUpdate(c.FullName()); set {
			return on, "toggle"
		}
	}
	if on, set := engine.LabelBool(c, "enable"); set {
		return on, "label"
	}
	if v, ok := c.Labels[ImageWatchLabel]; ok {
		if on, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
			return on, "label"
		}
	}
	return p.Default, "default"
}

package daemon

import (
	"slices"
	"strconv"
	"strings"

	"github.com/cutover/cutover/internal/engine"
)

// Filter decides which containers the daemon watches, with Watchtower's
// semantics for each setting.
type Filter struct {
	// Names, when set, limits watching to these containers.
	Names []string
	// Disabled containers are never watched.
	Disabled []string
	// LabelEnable watches only containers whose enable label is true.
	LabelEnable bool
	// Scope watches only containers whose scope label equals it; "none"
	// watches only containers without a scope label; "" watches all.
	Scope string
	// IncludeStopped and IncludeRestarting widen watching beyond running
	// containers.
	IncludeStopped    bool
	IncludeRestarting bool
}

// Claims reports whether a container that belongs to the container named
// base (itself, or a copy a swap made of it) is this daemon's to look after,
// whatever its state: recovery settles only the swaps of what it watches.
func (f Filter) Claims(c engine.Container, base string) bool {
	c.Name, c.State = base, engine.StateRunning
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
	if len(f.Names) > 0 && !slices.Contains(f.Names, c.Name) {
		return false
	}
	if slices.Contains(f.Disabled, c.Name) {
		return false
	}
	if f.LabelEnable {
		if on, set := engine.LabelBool(c, "enable"); !set || !on {
			return false
		}
	}
	return f.inScope(c)
}

// inScope reports whether c's scope label puts it in this instance's scope.
func (f Filter) inScope(c engine.Container) bool {
	scope, scoped := engine.Label(c, "scope")
	switch {
	case f.Scope == "none":
		return !scoped || scope == ""
	case f.Scope != "":
		return scope == f.Scope
	}
	return true
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
		if on, set := p.Toggles.AutoUpdate(c.Name); set {
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

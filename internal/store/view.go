package store

import (
	"strings"

	"github.com/cutover/cutover/internal/engine"
)

// View is the store as one engine, among several cutover watches, sees it:
// the journal, holds, history, toggles and notifications it reads and
// writes are its own. Its keys are the others' qualified with its name
// ("web1/app"), except for the engine named engine.LocalHost, whose keys
// are those of a cutover that watched one engine: a data directory kept
// from then keeps its toggles, holds and journal. When first sightings
// and deploy jobs are asked of a View, they are the store's: a version
// first seen on one engine has been seen, and a job is known by its id.
//
// It is safe for concurrent use, as the Store is.
type View struct {
	s    *Store
	host string
}

// View returns the view of the engine named host; "" is engine.LocalHost.
func (s *Store) View(host string) *View {
	if host == "" {
		host = engine.LocalHost
	}
	return &View{s: s, host: host}
}

// local is the view of the engine a cutover watching one engine used: the
// Store's own methods are its.
func (s *Store) local() *View { return s.View(engine.LocalHost) }

// viewOf is the view of the engine a full name (ENGINE/NAME, or NAME on
// the local engine) names, and the container's name in it.
func (s *Store) viewOf(full string) (*View, string) {
	host, name := engine.SplitName(full)
	if host == "" {
		return s.local(), name
	}
	return s.View(host), name
}

// Host is the name of the view's engine.
func (v *View) Host() string { return v.host }

// isLocal reports whether the view's keys are left as they are.
func (v *View) isLocal() bool { return v.host == engine.LocalHost }

// key is where the view keeps what it keeps under name.
func (v *View) key(name string) string {
	if v.isLocal() {
		return name
	}
	return v.host + "/" + name
}

// owns reports whether key is one of the view's, and the name under it.
// Local keys have no slash: neither names nor swap ids do.
func (v *View) owns(key string) (string, bool) {
	if v.isLocal() {
		return key, !strings.Contains(key, "/")
	}
	return strings.CutPrefix(key, v.host+"/")
}

// recordHost is the host an attempt record carries: none for the local
// engine, as records written before there were several engines.
func (v *View) recordHost() string {
	if v.isLocal() {
		return ""
	}
	return v.host
}

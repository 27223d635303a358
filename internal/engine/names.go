package engine

import (
	"strings"
	"sync"
)

// recentNamesLimit bounds recentNames: a reference by id to a swapped
// container matters only until the containers depending on it have been
// brought back, within the same pass.
const recentNamesLimit = 1024

// recentNames maps the ids of the latest containers swapped away to their
// names, forgetting the oldest beyond recentNamesLimit.
type recentNames struct {
	mu    sync.Mutex
	names map[string]string
	order []string
}

func (r *recentNames) store(id, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names == nil {
		r.names = map[string]string{}
	}
	if _, ok := r.names[id]; !ok {
		r.order = append(r.order, id)
	}
	r.names[id] = name
	for len(r.order) > recentNamesLimit {
		delete(r.names, r.order[0])
		r.order = r.order[1:]
	}
}

// lookup finds the name of a swapped container by id, or by an id prefix
// of at least 12 characters.
func (r *recentNames) lookup(ref string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.names[ref]; ok {
		return n, true
	}
	if len(ref) < 12 {
		return "", false
	}
	for id, n := range r.names {
		if strings.HasPrefix(id, ref) {
			return n, true
		}
	}
	return "", false
}

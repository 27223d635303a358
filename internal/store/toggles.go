package store

import (
	"sync"

	bolt "go.etcd.io/bbolt"
)

// toggles keeps the auto-update toggles in memory as well: the dashboard and
// the policy ask for every watched container at once, and this process
// holds the database alone, so the copy cannot go stale.
type toggles struct {
	mu      sync.RWMutex
	loaded  bool
	on      map[string]bool
	version uint64
}

// SetAutoUpdate persists a container's auto-update toggle, keyed by name so it
// survives the container being recreated.
func (v *View) SetAutoUpdate(name string, on bool) error { return v.s.setAutoUpdate(v.key(name), on) }

// AutoUpdate returns a container's toggle and whether one was ever set.
func (v *View) AutoUpdate(name string) (on, set bool) { return v.s.autoUpdate(v.key(name)) }

// TogglesVersion changes whenever a toggle of any engine is set.
func (v *View) TogglesVersion() uint64 { return v.s.TogglesVersion() }

// SetAutoUpdate persists the toggle of the container name names: NAME on
// the local engine, or ENGINE/NAME (see View).
func (s *Store) SetAutoUpdate(name string, on bool) error {
	v, bare := s.viewOf(name)
	return v.SetAutoUpdate(bare, on)
}

// AutoUpdate returns the toggle of the container name names, as
// SetAutoUpdate names it.
func (s *Store) AutoUpdate(name string) (on, set bool) {
	v, bare := s.viewOf(name)
	return v.AutoUpdate(bare)
}

func (s *Store) setAutoUpdate(name string, on bool) error {
	v := []byte("0")
	if on {
		v = []byte("1")
	}
	s.toggles.mu.Lock()
	defer s.toggles.mu.Unlock()
	if err := s.put(bucketToggles, name, v); err != nil {
		return err
	}
	if s.toggles.loaded {
		s.toggles.on[name] = on
	}
	s.toggles.version++
	return nil
}

func (s *Store) autoUpdate(name string) (on, set bool) {
	s.toggles.mu.RLock()
	if s.toggles.loaded {
		on, set = s.toggles.on[name]
		s.toggles.mu.RUnlock()
		return on, set
	}
	s.toggles.mu.RUnlock()
	if err := s.loadToggles(); err != nil {
		v, err := s.get(bucketToggles, name)
		if err != nil || v == nil {
			return false, false
		}
		return string(v) == "1", true
	}
	return s.autoUpdate(name)
}

// TogglesVersion changes whenever a toggle is set, so a reader can tell
// whether what it derived from them still holds.
func (s *Store) TogglesVersion() uint64 {
	s.toggles.mu.RLock()
	defer s.toggles.mu.RUnlock()
	return s.toggles.version
}

// loadToggles reads every toggle once, in one transaction.
func (s *Store) loadToggles() error {
	s.toggles.mu.Lock()
	defer s.toggles.mu.Unlock()
	if s.toggles.loaded {
		return nil
	}
	on := map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketToggles).ForEach(func(k, v []byte) error {
			on[string(k)] = string(v) == "1"
			return nil
		})
	})
	if err != nil {
		return err
	}
	s.toggles.on, s.toggles.loaded = on, true
	return nil
}

package store

// SetAutoUpdate persists a container's auto-update toggle, keyed by name so it
// survives the container being recreated.
func (s *Store) SetAutoUpdate(name string, on bool) error {
	v := []byte("0")
	if on {
		v = []byte("1")
	}
	return s.put(bucketToggles, name, v)
}

// AutoUpdate returns a container's toggle and whether one was ever set.
func (s *Store) AutoUpdate(name string) (on, set bool) {
	v, err := s.get(bucketToggles, name)
	if err != nil || v == nil {
		return false, false
	}
	return string(v) == "1", true
}

package store

// Notified reports whether a finding (a container stale against a digest)
// was already notified.
func (s *Store) Notified(container, digest string) bool {
	v, err := s.get(bucketNotified, container)
	return err == nil && string(v) == digest
}

// MarkNotified remembers that container was notified about digest.
func (s *Store) MarkNotified(container, digest string) error {
	return s.put(bucketNotified, container, []byte(digest))
}

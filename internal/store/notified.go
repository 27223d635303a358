package store

import "github.com/cutover/cutover/internal/engine"

// Notified reports whether a finding (a container stale against a digest)
// was already notified. container is its full name (engine.FullName):
// "HOST/NAME" is kept as the engine's view keeps it.
func (s *Store) Notified(container, digest string) bool {
	v, err := s.get(bucketNotified, s.notifiedKey(container))
	return err == nil && string(v) == digest
}

// MarkNotified remembers that container (a full name) was notified about
// digest.
func (s *Store) MarkNotified(container, digest string) error {
	return s.put(bucketNotified, s.notifiedKey(container), []byte(digest))
}

func (s *Store) notifiedKey(container string) string {
	host, name := engine.SplitName(container)
	return s.View(host).key(name)
}

package store

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/cutover/cutover/internal/engine"
)

var _ engine.Holds = (*Store)(nil)

// Hold keeps a version of a container's image from being applied again;
// it replaces the container's earlier hold.
func (s *Store) Hold(_ context.Context, h engine.Hold) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return s.put(bucketHolds, h.Container, b)
}

// Release forgets the container's hold.
func (s *Store) Release(_ context.Context, container string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketHolds).Delete([]byte(container)) })
}

// Held returns every hold.
func (s *Store) Held(_ context.Context) ([]engine.Hold, error) {
	var out []engine.Hold
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketHolds).ForEach(func(_, v []byte) error {
			var h engine.Hold
			if err := json.Unmarshal(v, &h); err != nil {
				return nil // an unreadable hold holds nothing
			}
			out = append(out, h)
			return nil
		})
	})
	return out, err
}

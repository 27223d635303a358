package store

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/cutover/cutover/internal/engine"
)

var (
	_ engine.Holds = (*Store)(nil)
	_ engine.Holds = (*View)(nil)
)

// Hold keeps a version of a container's image from being applied again;
// it replaces the container's earlier hold.
func (v *View) Hold(_ context.Context, h engine.Hold) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return v.s.put(bucketHolds, v.key(h.Container), b)
}

// Release forgets the container's hold.
func (v *View) Release(_ context.Context, container string) error {
	return v.s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketHolds).Delete([]byte(v.key(container))) })
}

// Held returns every hold of the view's engine.
func (v *View) Held(_ context.Context) ([]engine.Hold, error) {
	var out []engine.Hold
	err := v.s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketHolds).ForEach(func(k, val []byte) error {
			name, ok := v.owns(string(k))
			if !ok {
				return nil
			}
			var h engine.Hold
			if err := json.Unmarshal(val, &h); err != nil {
				return nil // an unreadable hold holds nothing
			}
			h.Container = name
			out = append(out, h)
			return nil
		})
	})
	return out, err
}

// Hold keeps a hold of the local engine's container (see View).
func (s *Store) Hold(ctx context.Context, h engine.Hold) error { return s.local().Hold(ctx, h) }

// Release forgets the hold of the local engine's container.
func (s *Store) Release(ctx context.Context, container string) error {
	return s.local().Release(ctx, container)
}

// Held returns the local engine's holds.
func (s *Store) Held(ctx context.Context) ([]engine.Hold, error) { return s.local().Held(ctx) }

package store

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cutover/cutover/internal/engine"
)

var _ engine.Sightings = (*Store)(nil)

// sightingsKept is how long a first sighting is kept: longer than the
// longest cooldown, so none is forgotten while it still counts.
const sightingsKept = engine.MaxCooldown + 30*24*time.Hour

// Sighted returns when each key (an offered version) was first seen,
// recording now for the keys never seen before. Writing one, it forgets
// the sightings older than any cooldown can last, so the bucket stays as
// small as the versions offered lately. It writes only when a key is new.
func (s *Store) Sighted(_ context.Context, keys []string, now time.Time) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(keys))
	var fresh []string
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSightings)
		for _, k := range keys {
			var t time.Time
			if v := b.Get([]byte(k)); v != nil && t.UnmarshalText(v) == nil {
				out[k] = t
				continue
			}
			fresh = append(fresh, k)
		}
		return nil
	})
	if err != nil || len(fresh) == 0 {
		return out, err
	}
	stamp, err := now.UTC().MarshalText()
	if err != nil {
		return nil, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSightings)
		var stale [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var t time.Time
			if t.UnmarshalText(v) != nil || now.Sub(t) > sightingsKept {
				stale = append(stale, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		for _, k := range fresh {
			// Another process may have recorded it since the read.
			var t time.Time
			if v := b.Get([]byte(k)); v != nil && t.UnmarshalText(v) == nil {
				out[k] = t
				continue
			}
			if err := b.Put([]byte(k), stamp); err != nil {
				return err
			}
			out[k] = now.UTC()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Sighted is the Store's: a version is first seen once, whichever engine
// it is offered on.
func (v *View) Sighted(ctx context.Context, keys []string, now time.Time) (map[string]time.Time, error) {
	return v.s.Sighted(ctx, keys, now)
}

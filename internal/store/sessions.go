package store

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketSessions maps a dashboard session id to its expiry (Unix seconds).
var bucketSessions = []byte("sessions")

// AddSession records an open dashboard session until it expires, and drops
// the sessions that expired.
func (s *Store) AddSession(id string, expires time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		now := time.Now().Unix()
		var stale [][]byte
		_ = b.ForEach(func(k, v []byte) error {
			if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) <= now {
				stale = append(stale, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return b.Put([]byte(id), binary.BigEndian.AppendUint64(nil, uint64(expires.Unix())))
	})
}

// SessionActive reports whether the session id is open at now.
func (s *Store) SessionActive(id string, now time.Time) bool {
	v, err := s.get(bucketSessions, id)
	if err != nil || len(v) != 8 {
		return false
	}
	return now.Unix() < int64(binary.BigEndian.Uint64(v))
}

// RemoveSession ends a dashboard session; an unknown id is no error.
func (s *Store) RemoveSession(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Delete([]byte(id))
	})
}

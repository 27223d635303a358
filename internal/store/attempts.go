package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cutover/cutover/internal/engine"
)

var _ engine.History = (*Store)(nil)

type attemptRecord struct {
	Time       time.Time `json:"time"`
	Container  string    `json:"container"`
	Image      string    `json:"image"`
	OldDigest  string    `json:"old_digest"`
	NewDigest  string    `json:"new_digest"`
	Result     string    `json:"result"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	Unit       string    `json:"unit,omitempty"`
}

// RecordAttempt appends one update attempt to the history.
func (s *Store) RecordAttempt(_ context.Context, a engine.Attempt) error {
	rec := attemptRecord{
		Time: a.Time.UTC(), Container: a.Container, Image: a.Image,
		OldDigest: a.OldDigest, NewDigest: a.NewDigest, Result: string(a.Result),
		Error: a.Error, DurationMS: a.Duration.Milliseconds(), Unit: a.Unit,
	}
	val, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAttempts)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), val)
	})
}

// Attempts returns the newest attempts first, only those of container when
// it is not empty, at most limit (all when limit <= 0).
func (s *Store) Attempts(_ context.Context, container string, limit int) ([]engine.Attempt, error) {
	var out []engine.Attempt
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAttempts).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var rec attemptRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				continue
			}
			if container != "" && rec.Container != container {
				continue
			}
			out = append(out, engine.Attempt{
				Time: rec.Time, Container: rec.Container, Image: rec.Image,
				OldDigest: rec.OldDigest, NewDigest: rec.NewDigest, Result: engine.Result(rec.Result),
				Error: rec.Error, Duration: time.Duration(rec.DurationMS) * time.Millisecond, Unit: rec.Unit,
			})
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	return out, err
}

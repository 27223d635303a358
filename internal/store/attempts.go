package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cutover/cutover/internal/engine"
)

var (
	_ engine.History = (*Store)(nil)
	_ engine.History = (*View)(nil)
)

type attemptRecord struct {
	Time time.Time `json:"time"`
	// Host is the engine's name, none for the local engine.
	Host       string `json:"host,omitempty"`
	Container  string `json:"container"`
	Image      string `json:"image"`
	OldDigest  string `json:"old_digest"`
	NewDigest  string `json:"new_digest"`
	Result     string `json:"result"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	Unit       string `json:"unit,omitempty"`
}

// RecordAttempt appends one update attempt of the view's engine to the
// history.
func (v *View) RecordAttempt(_ context.Context, a engine.Attempt) error {
	return v.s.recordAttempt(v.recordHost(), a)
}

// Attempts returns the attempts of the view's engine, as the Store's
// Attempts.
func (v *View) Attempts(ctx context.Context, container string, limit int) ([]engine.Attempt, error) {
	return v.s.Attempts(ctx, v.host, container, limit)
}

// RecordAttempt appends one update attempt of the local engine (see View).
func (s *Store) RecordAttempt(_ context.Context, a engine.Attempt) error {
	return s.recordAttempt("", a)
}

func (s *Store) recordAttempt(host string, a engine.Attempt) error {
	rec := attemptRecord{
		Time: a.Time.UTC(), Host: host, Container: a.Container, Image: a.Image,
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

// Attempts returns the newest attempts first, of every engine or only of
// host, of every container or only of container, at most limit (all when
// limit <= 0). Each names its engine (engine.LocalHost for the local one).
func (s *Store) Attempts(_ context.Context, host, container string, limit int) ([]engine.Attempt, error) {
	var out []engine.Attempt
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAttempts).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var rec attemptRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				continue
			}
			if rec.Host == "" {
				rec.Host = engine.LocalHost
			}
			if container != "" && rec.Container != container || host != "" && rec.Host != host {
				continue
			}
			out = append(out, engine.Attempt{
				Time: rec.Time, Host: rec.Host, Container: rec.Container, Image: rec.Image,
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

package store

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/cutover/cutover/internal/engine"
)

var _ engine.Journal = (*Store)(nil)

// SaveSwap writes a swap's journal entry; the write is synced before it
// returns, so it survives the process being killed right after.
func (s *Store) SaveSwap(_ context.Context, r engine.SwapRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.put(bucketSwaps, r.ID, b)
}

// DeleteSwap removes a finished swap's entry.
func (s *Store) DeleteSwap(_ context.Context, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSwaps).Delete([]byte(id)) })
}

// Swaps returns every swap still journaled.
func (s *Store) Swaps(_ context.Context) ([]engine.SwapRecord, error) {
	var out []engine.SwapRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSwaps).ForEach(func(_, v []byte) error {
			var r engine.SwapRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return nil // an unreadable entry is skipped; the engine's state still tells
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

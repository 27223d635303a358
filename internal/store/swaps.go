package store

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/cutover/cutover/internal/engine"
)

var (
	_ engine.Journal = (*Store)(nil)
	_ engine.Journal = (*View)(nil)
)

// SaveSwap writes a swap's journal entry; the write is synced before it
// returns, so it survives the process being killed right after.
func (v *View) SaveSwap(_ context.Context, r engine.SwapRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return v.s.put(bucketSwaps, v.key(r.ID), b)
}

// DeleteSwap removes a finished swap's entry.
func (v *View) DeleteSwap(_ context.Context, id string) error {
	return v.s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSwaps).Delete([]byte(v.key(id))) })
}

// Swaps returns every swap of the view's engine still journaled: recovery
// settles an engine's swaps against that engine only.
func (v *View) Swaps(_ context.Context) ([]engine.SwapRecord, error) {
	var out []engine.SwapRecord
	err := v.s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSwaps).ForEach(func(k, val []byte) error {
			if _, ok := v.owns(string(k)); !ok {
				return nil
			}
			var r engine.SwapRecord
			if err := json.Unmarshal(val, &r); err != nil {
				return nil // an unreadable entry is skipped; the engine's state still tells
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// SaveSwap journals a swap of the local engine (see View).
func (s *Store) SaveSwap(ctx context.Context, r engine.SwapRecord) error {
	return s.local().SaveSwap(ctx, r)
}

// DeleteSwap removes a finished swap's entry of the local engine.
func (s *Store) DeleteSwap(ctx context.Context, id string) error {
	return s.local().DeleteSwap(ctx, id)
}

// Swaps returns the local engine's swaps still journaled.
func (s *Store) Swaps(ctx context.Context) ([]engine.SwapRecord, error) {
	return s.local().Swaps(ctx)
}

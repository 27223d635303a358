package store

import (
	"fmt"

	"github.com/cutover/cutover/internal/engine"
)

// SaveJob stores a deploy job's record under its id.
func (s *Store) SaveJob(id string, record []byte) error {
	return s.put(bucketJobs, id, record)
}

// LoadJob returns a deploy job's record, or an error wrapping
// engine.ErrNotFound.
func (s *Store) LoadJob(id string) ([]byte, error) {
	v, err := s.get(bucketJobs, id)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("job %q: %w", id, engine.ErrNotFound)
	}
	return v, nil
}

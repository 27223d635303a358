package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FileName is the database's file name inside the data directory.
const FileName = "cutover.db"

var (
	bucketAttempts = []byte("attempts")
	bucketJobs     = []byte("jobs")
	bucketToggles  = []byte("toggles")
	bucketNotified = []byte("notified")
	bucketSwaps    = []byte("swaps")
	bucketHolds    = []byte("holds")
	// bucketSightings keeps when each offered version was first seen.
	bucketSightings = []byte("sightings")
)

// Store is the embedded database. It is safe for concurrent use.
type Store struct {
	db      *bolt.DB
	toggles toggles
}

// Open opens, or creates, the store in dir, creating dir (mode 0700) when
// missing. A second process holding the file makes Open fail after a short
// wait rather than hang.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return open(filepath.Join(dir, FileName), 5*time.Second)
}

func open(path string, wait time.Duration) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: wait})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use by another cutover process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAttempts, bucketJobs, bucketToggles, bucketNotified, bucketSessions, bucketSwaps, bucketHolds, bucketSightings} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// OpenExisting opens the store in dir for a command that only reads:
// (nil, nil) when there is none, so that such a command creates no data
// directory, and an error when another process (a running serve) has held
// it for longer than wait.
func OpenExisting(dir string, wait time.Duration) (*Store, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return open(path, wait)
}

// put stores value under key in bucket.
func (s *Store) put(bucket []byte, key string, value []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Put([]byte(key), value)
	})
}

// get returns a copy of the value under key in bucket, or nil.
func (s *Store) get(bucket []byte, key string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucket).Get([]byte(key)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Package store keeps cutover's state in an embedded bbolt database in the
// data directory: update history, and later toggles and jobs.
package store

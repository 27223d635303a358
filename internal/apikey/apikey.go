// Package apikey keeps the one secret machine clients present: generated on
// first start into the data directory, or given by the operator.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FileName is the key's file inside the data directory.
const FileName = "api_key"

// Key is the API key. Its value is only shown where the user asked for it.
type Key struct {
	value  string
	source string
}

// Source says where the key came from: a file path or an environment variable.
func (k Key) Source() string { return k.source }

// Value is the key itself.
func (k Key) Value() string { return k.value }

// Prefix is the key's first six characters, enough to tell keys apart in logs.
func (k Key) Prefix() string {
	if len(k.value) <= 6 {
		return k.value
	}
	return k.value[:6]
}

// Matches compares a presented secret with the key in constant time.
func (k Key) Matches(presented string) bool {
	if k.value == "" {
		return false
	}
	a := sha256.Sum256([]byte(presented))
	b := sha256.Sum256([]byte(k.value))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// Given wraps a key the operator configured.
func Given(value, source string) Key { return Key{value: strings.TrimSpace(value), source: source} }

// Ensure reads the key from dataDir, creating it (32 random bytes, URL-safe,
// file mode 0600, directory 0700) when there is none. created tells the
// caller to show the new key once.
func Ensure(dataDir string) (k Key, created bool, err error) {
	path := filepath.Join(dataDir, FileName)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		v := strings.TrimSpace(string(b))
		if v == "" {
			return Key{}, false, fmt.Errorf("%s is empty: delete it to have a new key made, or write a key into it", path)
		}
		return Key{value: v, source: path}, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return Key{}, false, fmt.Errorf("read API key: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return Key{}, false, fmt.Errorf("data directory: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Key{}, false, err
	}
	v := base64.RawURLEncoding.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Key{}, false, fmt.Errorf("write API key: %w", err)
	}
	if _, err := f.WriteString(v + "\n"); err != nil {
		f.Close()
		return Key{}, false, fmt.Errorf("write API key: %w", err)
	}
	if err := f.Close(); err != nil {
		return Key{}, false, fmt.Errorf("write API key: %w", err)
	}
	return Key{value: v, source: path}, true, nil
}

package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// DefaultTTL is how long a session lasts.
const DefaultTTL = 24 * time.Hour

// Store remembers which sessions are open. A token is only as good as its
// entry: deleting the entry ends the session even though its signature
// stays valid.
type Store interface {
	AddSession(id string, expires time.Time) error
	SessionActive(id string, now time.Time) bool
	RemoveSession(id string) error
}

// Manager issues and verifies session tokens: an id, the user and the
// expiry, signed with HMAC-SHA256.
type Manager struct {
	key   []byte
	store Store
	ttl   time.Duration
	now   func() time.Time
}

// Option tunes a Manager.
type Option func(*Manager)

// WithTTL sets how long a session lasts. Default DefaultTTL.
func WithTTL(d time.Duration) Option { return func(m *Manager) { m.ttl = d } }

// WithClock sets the clock. Default time.Now.
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// NewManager returns a manager signing with key (at least 32 bytes) and
// keeping sessions in store; a nil store keeps them in memory, so they end
// with the process.
func NewManager(key []byte, store Store, opts ...Option) (*Manager, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("session key: got %d bytes, want at least 32", len(key))
	}
	if store == nil {
		store = NewMemoryStore()
	}
	m := &Manager{key: append([]byte(nil), key...), store: store, ttl: DefaultTTL, now: time.Now}
	for _, o := range opts {
		o(m)
	}
	return m, nil
}

type claims struct {
	ID      string `json:"id"`
	User    string `json:"user"`
	Expires int64  `json:"exp"`
}

// Issue opens a session for user and returns its token and expiry.
func (m *Manager) Issue(user string) (token string, expires time.Time, err error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, err
	}
	expires = m.now().Add(m.ttl).Truncate(time.Second)
	c := claims{ID: hex.EncodeToString(b), User: user, Expires: expires.Unix()}
	if err := m.store.AddSession(c.ID, expires); err != nil {
		return "", time.Time{}, fmt.Errorf("record session: %w", err)
	}
	payload, _ := json.Marshal(c) // claims always marshal
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(m.sign(p)), expires, nil
}

// Verify returns the user of a valid, unexpired, open session.
func (m *Manager) Verify(token string) (user string, ok bool) {
	c, err := m.parse(token)
	if err != nil || !m.store.SessionActive(c.ID, m.now()) {
		return "", false
	}
	return c.User, true
}

// Revoke ends the session of token. An invalid or unknown token is no error:
// there is nothing to end.
func (m *Manager) Revoke(token string) error {
	c, err := m.parse(token)
	if err != nil {
		return nil
	}
	return m.store.RemoveSession(c.ID)
}

var errBadToken = errors.New("invalid session token")

func (m *Manager) parse(token string) (claims, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return claims{}, errBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, m.sign(p)) {
		return claims{}, errBadToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return claims{}, errBadToken
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil || c.ID == "" {
		return claims{}, errBadToken
	}
	if !m.now().Before(time.Unix(c.Expires, 0)) {
		return claims{}, errBadToken
	}
	return c, nil
}

func (m *Manager) sign(payload string) []byte {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// MemoryStore keeps sessions in memory.
type MemoryStore struct {
	mu       sync.Mutex
	sessions map[string]time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{sessions: map[string]time.Time{}} }

// AddSession implements Store.
func (s *MemoryStore) AddSession(id string, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, exp := range s.sessions {
		if time.Now().After(exp) {
			delete(s.sessions, k)
		}
	}
	s.sessions[id] = expires
	return nil
}

// SessionActive implements Store.
func (s *MemoryStore) SessionActive(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.sessions[id]
	return ok && now.Before(exp)
}

// RemoveSession implements Store.
func (s *MemoryStore) RemoveSession(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
	return nil
}

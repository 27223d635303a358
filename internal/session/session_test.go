package session

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

func argon2idHash(pass string) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pass), salt, 2, 16*1024, 1, 32)
	return "$argon2id$v=19$m=16384,t=2,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
}

func TestCredentials(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("hunter2"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		password, hash string
	}{
		{"plain", "hunter2", ""},
		{"bcrypt", "", string(bc)},
		{"argon2id", "", argon2idHash("hunter2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCredentials("admin", tt.password, tt.hash)
			if err != nil {
				t.Fatalf("NewCredentials: %v", err)
			}
			checks := []struct {
				user, pass string
				want       bool
			}{
				{"admin", "hunter2", true},
				{"admin", "hunter3", false},
				{"admin", "", false},
				{"Admin", "hunter2", false},
				{"", "hunter2", false},
			}
			for _, ch := range checks {
				if got := c.Check(ch.user, ch.pass); got != ch.want {
					t.Errorf("Check(%q, %q): got %v, want %v", ch.user, ch.pass, got, ch.want)
				}
			}
		})
	}
}

func TestCredentialsRefused(t *testing.T) {
	tests := []struct {
		name, user, password, hash, want string
	}{
		{"no user", "", "x", "", "user name is empty"},
		{"nothing", "admin", "", "", "neither"},
		{"both", "admin", "x", argon2idHash("x"), "both set"},
		{"md5 crypt", "admin", "", "$1$salt$hash", "want bcrypt"},
		{"broken bcrypt", "admin", "", "$2b$10$short", "bcrypt"},
		{"argon2i", "admin", "", "$argon2i$v=19$m=16,t=2,p=1$c2FsdA$aGFzaA", "want bcrypt"},
		{"argon2id wrong version", "admin", "", "$argon2id$v=16$m=16,t=2,p=1$c2FsdA$aGFzaA", "version"},
		{"argon2id huge memory", "admin", "", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$aGFzaA", "out of range"},
		{"argon2id no key", "admin", "", "$argon2id$v=19$m=16,t=2,p=1$c2FsdA$", "key"},
		{"argon2id parts", "admin", "", "$argon2id$v=19$m=16,t=2,p=1$c2FsdA", "want $argon2id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCredentials(tt.user, tt.password, tt.hash)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestManager(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key := []byte(strings.Repeat("k", 32))
	store := NewMemoryStore()
	m, err := NewManager(key, store, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := m.Issue("admin")
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(24 * time.Hour); !exp.Equal(want) {
		t.Errorf("expiry: got %s, want %s", exp, want)
	}
	if user, ok := m.Verify(tok); !ok || user != "admin" {
		t.Fatalf("Verify of a fresh token: got %q %v, want admin true", user, ok)
	}

	// A restart: a new manager with the same key and store.
	m2, _ := NewManager(key, store, WithClock(clock))
	if _, ok := m2.Verify(tok); !ok {
		t.Errorf("token refused after a restart with the same key and store")
	}
	other, _ := NewManager([]byte(strings.Repeat("o", 32)), store, WithClock(clock))
	if _, ok := other.Verify(tok); ok {
		t.Errorf("token accepted by a manager with another key")
	}

	payload, sig, _ := strings.Cut(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"admin"`, `"root!"`, 1))) + "." + sig
	for _, bad := range []string{"", ".", tok + "x", "x" + tok, forged, payload, strings.ToUpper(tok)} {
		if _, ok := m.Verify(bad); ok {
			t.Errorf("Verify(%q): accepted, want refused", bad)
		}
	}

	now = now.Add(24*time.Hour - time.Second)
	if _, ok := m.Verify(tok); !ok {
		t.Errorf("token refused a second before it expires")
	}
	now = now.Add(time.Second)
	if _, ok := m.Verify(tok); ok {
		t.Errorf("token accepted when it expired")
	}
}

func TestManagerRevoke(t *testing.T) {
	m, _ := NewManager([]byte(strings.Repeat("k", 32)), nil)
	a, _, _ := m.Issue("admin")
	b, _, _ := m.Issue("admin")
	if err := m.Revoke(a); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Verify(a); ok {
		t.Errorf("revoked session still valid")
	}
	if _, ok := m.Verify(b); !ok {
		t.Errorf("revoking one session ended another")
	}
	if err := m.Revoke("garbage"); err != nil {
		t.Errorf("Revoke of garbage: %v, want nil", err)
	}
}

func TestNewManagerShortKey(t *testing.T) {
	if _, err := NewManager([]byte("short"), nil); err == nil {
		t.Errorf("NewManager with a 5-byte key: got no error")
	}
}

func TestLoadKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != 32 {
		t.Errorf("key length: got %d, want 32", len(k1))
	}
	info, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode: got %o, want 600", perm)
	}
	k2, err := LoadKey(dir)
	if err != nil || string(k2) != string(k1) {
		t.Errorf("second LoadKey: got a different key (err %v), want the same", err)
	}
	if err := os.WriteFile(filepath.Join(dir, KeyFile), []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(dir); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("LoadKey of a broken file: got %v, want an error saying what to do", err)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(func() time.Time { return now })
	for i := 0; i < 4; i++ {
		l.Fail("10.0.0.1")
		now = now.Add(10 * time.Second)
	}
	if _, ok := l.Allow("10.0.0.1"); !ok {
		t.Fatalf("blocked after 4 failures, want 5")
	}
	l.Fail("10.0.0.1")
	wait, ok := l.Allow("10.0.0.1")
	if ok || wait != 30*time.Second {
		t.Fatalf("after 5 failures in a minute: got allowed %v wait %s, want blocked 30s", ok, wait)
	}
	if _, ok := l.Allow("10.0.0.2"); !ok {
		t.Errorf("another client blocked")
	}
	now = now.Add(30 * time.Second)
	if _, ok := l.Allow("10.0.0.1"); !ok {
		t.Errorf("still blocked after 30 s")
	}
	// The count starts over after a block.
	l.Fail("10.0.0.1")
	if _, ok := l.Allow("10.0.0.1"); !ok {
		t.Errorf("blocked by the first failure after a block")
	}
	l.Succeed("10.0.0.1")
	for i := 0; i < 4; i++ {
		l.Fail("10.0.0.1")
	}
	if _, ok := l.Allow("10.0.0.1"); !ok {
		t.Errorf("a success did not reset the count")
	}
}

package session

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Credentials are the one dashboard user and what proves its password: the
// password itself or a bcrypt or argon2id hash of it.
type Credentials struct {
	user  [sha256.Size]byte
	plain [sha256.Size]byte
	hash  func(pass string) bool
}

// NewCredentials returns credentials for user with a plain password or a
// hash; exactly one of them must be set. A hash is "$2a$", "$2b$" or "$2y$"
// bcrypt, or "$argon2id$v=19$m=...,t=...,p=...$salt$key" in the encoding the
// argon2 reference tool prints.
func NewCredentials(user, password, hash string) (*Credentials, error) {
	if user == "" {
		return nil, errors.New("the user name is empty")
	}
	switch {
	case password != "" && hash != "":
		return nil, errors.New("a password and a password hash are both set: give one")
	case password == "" && hash == "":
		return nil, errors.New("neither a password nor a password hash is set")
	}
	c := &Credentials{user: sha256.Sum256([]byte(user))}
	if password != "" {
		c.plain = sha256.Sum256([]byte(password))
		return c, nil
	}
	check, err := parseHash(hash)
	if err != nil {
		return nil, err
	}
	c.hash = check
	return c, nil
}

// Check reports whether user and pass match. It takes as long for a wrong
// user as for a wrong password, and compares in constant time.
func (c *Credentials) Check(user, pass string) bool {
	u := sha256.Sum256([]byte(user))
	userOK := subtle.ConstantTimeCompare(u[:], c.user[:]) == 1
	var passOK bool
	if c.hash != nil {
		passOK = c.hash(pass)
	} else {
		p := sha256.Sum256([]byte(pass))
		passOK = subtle.ConstantTimeCompare(p[:], c.plain[:]) == 1
	}
	return userOK && passOK
}

func parseHash(hash string) (func(string) bool, error) {
	switch {
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("password hash: not a valid bcrypt hash: %v", err)
		}
		h := []byte(hash)
		return func(pass string) bool { return bcrypt.CompareHashAndPassword(h, []byte(pass)) == nil }, nil
	case strings.HasPrefix(hash, "$argon2id$"):
		return parseArgon2id(hash)
	}
	return nil, errors.New("password hash: want bcrypt ($2b$...) or argon2id ($argon2id$...)")
}

// Bounds on argon2id parameters, so that a hash cannot make each login
// attempt cost gigabytes or minutes.
const (
	maxArgonMemoryKiB = 1 << 20
	maxArgonTime      = 64
)

func parseArgon2id(hash string) (func(string) bool, error) {
	bad := func(why string) error { return fmt.Errorf("password hash: not a valid argon2id hash: %s", why) }
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 {
		return nil, bad("want $argon2id$v=19$m=...,t=...,p=...$salt$key")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return nil, bad(fmt.Sprintf("version %q, want v=%d", parts[2], argon2.Version))
	}
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return nil, bad(fmt.Sprintf("parameters %q, want m=...,t=...,p=...", parts[3]))
	}
	if mem == 0 || mem > maxArgonMemoryKiB || iter == 0 || iter > maxArgonTime || threads == 0 {
		return nil, bad(fmt.Sprintf("parameters %q out of range (m up to %d KiB, t up to %d, p at least 1)", parts[3], maxArgonMemoryKiB, maxArgonTime))
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return nil, bad("salt is not base64")
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return nil, bad("key is not base64")
	}
	return func(pass string) bool {
		got := argon2.IDKey([]byte(pass), salt, iter, mem, threads, uint32(len(key)))
		return subtle.ConstantTimeCompare(got, key) == 1
	}, nil
}

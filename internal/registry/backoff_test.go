package registry

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// A 429 from the token realm, on another host than the registry, holds
// back the registry's checks as a 429 from the registry itself does.
func TestBackoffCoversTokenRealm(t *testing.T) {
	b := newBearerRegistry(t)
	pushRandom(t, b.direct, "realm", 1)
	ref := b.host() + "/cutover-test/realm-0:v1"
	b.take()
	b.setTokenStatus(http.StatusTooManyRequests)
	now := time.Now()
	c, err := New(Options{Keychain: authn.NewMultiKeychain(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.Digest(context.Background(), ref)
	if want := "rate limited by " + b.host() + " (429): not asking again before"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("digest with a rate-limited token realm: got %v, want %q", err, want)
	}
	if got := len(b.tokens()); got != 1 {
		t.Errorf("token requests after the realm said 429: got %d, want 1", got)
	}
	b.take()

	_, err = c.Digest(context.Background(), ref)
	if want := "rate limited by " + b.host() + ": not asking again before"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("digest within the realm's Retry-After: got %v, want %q", err, want)
	}
	if got := len(b.tokens()); got != 1 {
		t.Errorf("token requests within Retry-After: got %d, want still 1", got)
	}
	if got := b.take(); len(got) != 0 {
		t.Errorf("requests to the registry within Retry-After: got %v, want none", got)
	}

	now = now.Add(121 * time.Second)
	b.setTokenStatus(0)
	if _, err := c.Digest(context.Background(), ref); err != nil {
		t.Errorf("digest after Retry-After: got %v, want the digest", err)
	}
}

package registry

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
)

// A handshake asks for a token covering the repositories of the check at
// hand, not every repository an earlier check announced.
func TestTokenCoversTheCheckAtHand(t *testing.T) {
	b := newBearerRegistry(t)
	const k = 4
	pushRandom(t, b.direct, "expect", k)
	var refs []string
	for i := range k {
		refs = append(refs, fmt.Sprintf("%s/cutover-test/expect-%d:v1", b.host(), i))
	}
	scope := func(i int) string { return fmt.Sprintf("repository:cutover-test/expect-%d:pull", i) }
	c, err := New(Options{Keychain: authn.NewMultiKeychain()})
	if err != nil {
		t.Fatal(err)
	}

	check(t, c, refs[:3])
	tokens := b.tokens()
	if len(tokens) != 1 || !sameScopes(tokens[0], []string{scope(0), scope(1), scope(2)}) {
		t.Fatalf("token requests of a check of 3 repositories: got %v, want one for all three", tokens)
	}

	// A failure other than 404 drops the session, so the next check
	// shakes hands again.
	b.failNextManifest()
	if _, err := c.Digest(context.Background(), refs[0]); err == nil {
		t.Fatalf("digest with an injected 500: got no error")
	}
	check(t, c, refs[3:])
	tokens = b.tokens()
	if len(tokens) != 2 || !sameScopes(tokens[1], []string{scope(3)}) {
		t.Errorf("token request of a later check of one repository: got %v, want one for %s only", tokens[1:], scope(3))
	}

	// A repository nobody announced is still reachable: the registry
	// challenges, and the token is renewed with its scope.
	if _, err := c.Digest(context.Background(), refs[0]); err != nil {
		t.Errorf("digest of a repository left out of the token: %v", err)
	}
}

func sameScopes(got, want []string) bool {
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	return cmp.Equal(got, want)
}

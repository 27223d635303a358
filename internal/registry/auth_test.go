package registry

import (
	"context"
	"strings"
	"testing"
)

// A deploy by digest pulls "repo@sha256:..." or "repo:tag@sha256:...": the
// credentials for it are those of the repository's registry.
func TestAuthOfPinnedReferences(t *testing.T) {
	c, err := New(Options{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	d := "@sha256:" + strings.Repeat("ab", 32)
	for _, ref := range []string{"127.0.0.1:5001/team/app:1.2", "127.0.0.1:5001/team/app" + d, "127.0.0.1:5001/team/app:1.2" + d} {
		a, err := c.Auth(context.Background(), ref)
		if err != nil || a.ServerAddress != "127.0.0.1:5001" || a.Username != "u" || a.Password != "p" {
			t.Errorf("Auth(%q): got %+v, %v; want u/p for 127.0.0.1:5001", ref, a, err)
		}
	}
	if _, err := c.Auth(context.Background(), "app@sha256:abc"); err == nil || !strings.Contains(err.Error(), `invalid image reference "app@sha256:abc"`) {
		t.Errorf("Auth of a malformed digest: got %v, want it refused by name", err)
	}
}

package docker

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLinkTargets(t *testing.T) {
	got := linkTargets([]string{"/db:/web/db", "/cache:/web/redis", "plain:alias"})
	if want := []string{"db", "cache", "plain"}; !cmp.Equal(got, want) {
		t.Errorf("linkTargets = %q, want %q", got, want)
	}
}

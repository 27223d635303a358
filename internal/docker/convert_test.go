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

func TestLinksByName(t *testing.T) {
	got := linksByName([]string{"/db-cutover-replaced:/web/db", "/cache:/web/redis", "/db2-cutover-old:/web/store", "plain"})
	if want := []string{"db:db", "cache:redis", "db2:store", "plain"}; !cmp.Equal(got, want) {
		t.Errorf("linksByName = %q, want %q", got, want)
	}
}

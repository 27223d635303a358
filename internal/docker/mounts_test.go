package docker

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

func TestKeepAnonymousVolumes(t *testing.T) {
	anon := func(c string) string { return strings.Repeat(c, 64) }
	mounts := []container.MountPoint{
		{Type: mount.TypeVolume, Name: anon("a"), Destination: "/anon", RW: true},
		{Type: mount.TypeVolume, Name: anon("b"), Destination: "/ro"},
		{Type: mount.TypeVolume, Name: "named", Destination: "/data", RW: true},
		{Type: mount.TypeVolume, Name: anon("c"), Destination: "/mounted", RW: true},
		{Type: mount.TypeVolume, Name: anon("d"), Destination: "/shared", RW: true},
		{Type: mount.TypeBind, Source: "/etc", Destination: "/host", RW: true},
	}
	hc := &container.HostConfig{
		Binds:  []string{"named:/data", "/etc:/host"},
		Mounts: []mount.Mount{{Type: mount.TypeVolume, Target: "/mounted"}},
	}
	keepAnonymousVolumes(hc, mounts, map[string]bool{"/shared": true})
	wantBinds := []string{"named:/data", "/etc:/host", anon("a") + ":/anon", anon("b") + ":/ro:ro"}
	if diff := cmp.Diff(wantBinds, hc.Binds); diff != "" {
		t.Errorf("Binds (-want +got):\n%s", diff)
	}
	if got := hc.Mounts[0].Source; got != anon("c") {
		t.Errorf("source of the --mount at /mounted = %q, want its volume %s", got, anon("c"))
	}
}

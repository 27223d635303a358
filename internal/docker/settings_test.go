package docker

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestEntrypointAndCmd(t *testing.T) {
	imgEp, imgCmd := []string{"/app"}, []string{"serve"}
	for _, tc := range []struct {
		name            string
		ep, cmd, imgEp  []string
		wantEp, wantCmd []string
	}{
		{name: "image's both", ep: imgEp, cmd: imgCmd, imgEp: imgEp},
		{name: "own cmd", ep: imgEp, cmd: []string{"serve", "x"}, imgEp: imgEp, wantCmd: []string{"serve", "x"}},
		{name: "own entrypoint", ep: []string{"/other"}, cmd: imgCmd, imgEp: imgEp, wantEp: []string{"/other"}, wantCmd: imgCmd},
		{name: "own entrypoint, no cmd", ep: []string{"/other"}, imgEp: imgEp, wantEp: []string{"/other"}},
		{name: "image's entrypoint given explicitly", ep: imgEp, imgEp: imgEp, wantEp: imgEp},
		{name: "entrypoint cleared", cmd: []string{"/app", "serve"}, imgEp: imgEp, wantEp: []string{""}, wantCmd: []string{"/app", "serve"}},
		{name: "image without entrypoint", cmd: []string{"x"}, wantCmd: []string{"x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep, cmd := entrypointAndCmd(tc.ep, tc.cmd, tc.imgEp, imgCmd)
			if !cmp.Equal(ep, tc.wantEp) || !cmp.Equal(cmd, tc.wantCmd) {
				t.Errorf("entrypointAndCmd(%q, %q) = %q, %q, want %q, %q", tc.ep, tc.cmd, ep, cmd, tc.wantEp, tc.wantCmd)
			}
		})
	}
}

func TestUserHealthcheck(t *testing.T) {
	img := &container.HealthConfig{Test: []string{"CMD", "/app", "check"}, Interval: time.Second, Retries: 3}
	for _, tc := range []struct {
		name string
		hc   *container.HealthConfig
		want *container.HealthConfig
	}{
		{name: "none", hc: nil, want: nil},
		{name: "image's", hc: &container.HealthConfig{Test: img.Test, Interval: time.Second, Retries: 3}, want: nil},
		{name: "own interval", hc: &container.HealthConfig{Test: img.Test, Interval: 5 * time.Second, Retries: 3},
			want: &container.HealthConfig{Interval: 5 * time.Second}},
		{name: "disabled", hc: &container.HealthConfig{Test: []string{"NONE"}}, want: &container.HealthConfig{Test: []string{"NONE"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, userHealthcheck(tc.hc, img)); diff != "" {
				t.Errorf("userHealthcheck (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplacementConfigDropsImageDefaults(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	img := dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{
		Env:          []string{"PATH=/bin", "MODE=one"},
		Labels:       map[string]string{"version": "1", "vendor": "x"},
		ExposedPorts: map[string]struct{}{"8000/tcp": {}},
		Volumes:      map[string]struct{}{"/anon": {}},
		WorkingDir:   "/srv",
		User:         "app",
		StopSignal:   "SIGTERM",
		Entrypoint:   []string{"/app"},
		Cmd:          []string{"serve"},
	}}
	old := container.InspectResponse{
		ID: id,
		Config: &container.Config{
			Hostname:     id[:12],
			Env:          []string{"PATH=/bin", "MODE=one", "MINE=1"},
			Labels:       map[string]string{"version": "1", "vendor": "mine", "own": "y"},
			ExposedPorts: network.PortSet{network.MustParsePort("8000/tcp"): {}, network.MustParsePort("9000/udp"): {}},
			Volumes:      map[string]struct{}{"/anon": {}, "/extra": {}},
			WorkingDir:   "/srv",
			User:         "root",
			StopSignal:   "SIGINT",
			Entrypoint:   []string{"/app"},
			Cmd:          []string{"serve"},
			Image:        "app:v1",
			Tty:          true,
		},
		HostConfig: &container.HostConfig{NetworkMode: "bridge"},
	}
	got := replacementConfig(old, img, "app:v2", "")
	want := &container.Config{
		Env:          []string{"MINE=1"},
		Labels:       map[string]string{"vendor": "mine", "own": "y"},
		ExposedPorts: network.PortSet{network.MustParsePort("9000/udp"): {}},
		Volumes:      map[string]struct{}{"/extra": {}},
		User:         "root",
		StopSignal:   "SIGINT",
		Image:        "app:v2",
		Tty:          true,
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(network.Port{})); diff != "" {
		t.Errorf("replacementConfig (-want +got):\n%s", diff)
	}
}

func TestUserHostname(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name     string
		hostname string
		mode     container.NetworkMode
		uts      container.UTSMode
		want     string
	}{
		{name: "engine's", hostname: id[:12], mode: "bridge", want: ""},
		{name: "user's", hostname: "web", mode: "bridge", want: "web"},
		{name: "host's", hostname: "box", mode: "host", want: ""},
		{name: "user's on host network", hostname: "web", mode: "host", want: "web"},
		{name: "host uts", hostname: "box", mode: "bridge", uts: "host", want: ""},
		{name: "network container's", hostname: "peer", mode: "container:abc", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := container.InspectResponse{
				ID:         id,
				Config:     &container.Config{Hostname: tc.hostname},
				HostConfig: &container.HostConfig{NetworkMode: tc.mode, UTSMode: tc.uts},
			}
			if got, _ := userHostname(old, "box"); got != tc.want {
				t.Errorf("userHostname(%q, %s) = %q, want %q", tc.hostname, tc.mode, got, tc.want)
			}
		})
	}
}

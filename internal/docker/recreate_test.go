package docker_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/cutover/cutover/internal/docker"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationCreateReplacementKeepsSettings recreates a container run
// with most of what docker run can set, on an image whose defaults changed,
// and compares the two.
func TestIntegrationCreateReplacementKeepsSettings(t *testing.T) {
	img := buildImages(t)
	on(t, func(t *testing.T, te *testEngine) { testKeepsSettings(t, te, img) }, img.v1, img.v2)
}

func testKeepsSettings(t *testing.T, te *testEngine, img testImages) {
	rt, ctx := te.rt, t.Context()
	// Each engine's networks are bridges on this host: one subnet on both
	// would clash in its routes.
	prefix := "10.213"
	if te.Name == testenv.CurrentName {
		prefix = "10.218"
	}
	octet := 100 + rand.IntN(150)
	netA, netB := testenv.Name(t, "net-a"), testenv.Name(t, "net-b")
	te.CreateNetwork(t, netA, "--subnet", fmt.Sprintf("%s.%d.0/24", prefix, octet))
	te.CreateNetwork(t, netB)
	vol := testenv.Name(t, "vol")
	te.CreateVolume(t, vol)
	staticIP := fmt.Sprintf("%s.%d.50", prefix, octet)

	for _, tc := range []struct {
		name     string
		hostname string
	}{
		{name: "hostname set", hostname: "set-host"},
		{name: "hostname default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oldName := testenv.Name(t, "rich")
			args := []string{
				"--label", "user.label=x",
				"-e", "USER_VAR=mine", "-e", "KEEP=user",
				"-p", "127.0.0.1::8000",
				"--restart", "always",
				"--memory", "64m", "--cpu-shares", "512",
				"--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD",
				"--security-opt", "no-new-privileges",
				"--log-opt", "max-size=1m",
				"--ulimit", "nofile=1024:2048",
				"--sysctl", "net.ipv4.ip_local_port_range=20000 30000",
				"--add-host", "db.local:10.0.0.7",
				"--dns", "10.0.0.53",
				"--tmpfs", "/scratch:size=1m",
				"-v", vol + ":/data",
				"--network", netA, "--network-alias", "a-alias",
				"--stop-signal", "SIGINT",
			}
			if tc.hostname != "" {
				// One static address is enough; the second run shares the subnet.
				args = append(args, "--hostname", tc.hostname, "--ip", staticIP)
			}
			oldID := te.RunContainer(t, oldName, append(args, img.v1)...)
			te.Docker(t, "network", "connect", "--alias", "b-alias", netB, oldName)

			old, err := rt.Container(ctx, oldName)
			if err != nil {
				t.Fatal(err)
			}
			newID, err := rt.CreateReplacement(ctx, old, engine.Replacement{Image: img.v2, Name: oldName + "-cutover"})
			if err != nil {
				t.Fatalf("CreateReplacement: %v", err)
			}
			te.removeLater(t, newID)

			oc, nc := te.inspect(t, oldID).Container, te.inspect(t, newID).Container

			// HostConfig: equal but for the anonymous volume, now attached
			// by name.
			anon := mountAt(oc.Mounts, "/anon")
			if !anonymous.MatchString(anon) {
				t.Fatalf("old container's /anon volume = %q, want an anonymous volume", anon)
			}
			wantHC := *oc.HostConfig
			wantHC.Binds = append(slices.Clone(wantHC.Binds), anon+":/anon")
			if diff := cmp.Diff(&wantHC, nc.HostConfig, cmpopts.EquateComparable(netip.Addr{}, network.Port{})); diff != "" {
				t.Errorf("HostConfig of the replacement (-want +got):\n%s", diff)
			}
			if got := mountAt(nc.Mounts, "/anon"); got != anon {
				t.Errorf("replacement's /anon volume = %q, want the old one %q", got, anon)
			}
			if got := mountAt(nc.Mounts, "/data"); got != vol {
				t.Errorf("replacement's /data volume = %q, want %q", got, vol)
			}

			// Config: the user's settings stay, the image's defaults are v2's.
			for _, want := range []string{"USER_VAR=mine", "KEEP=user", "FLAVOR=two"} {
				if !slices.Contains(nc.Config.Env, want) {
					t.Errorf("replacement's Env = %q, want it to contain %q", nc.Config.Env, want)
				}
			}
			if slices.Contains(nc.Config.Env, "FLAVOR=one") {
				t.Errorf("replacement's Env = %q, want v1's FLAVOR=one gone", nc.Config.Env)
			}
			for k, want := range map[string]string{"user.label": "x", "app.version": "2"} {
				if got := nc.Config.Labels[k]; got != want {
					t.Errorf("replacement's label %s = %q, want %q", k, got, want)
				}
			}
			if want := []string{"serve", "v2"}; !slices.Equal(nc.Config.Cmd, want) {
				t.Errorf("replacement's Cmd = %q, want v2's %q", nc.Config.Cmd, want)
			}
			if got := nc.Config.Healthcheck; got == nil || got.Interval != 2*time.Second {
				t.Errorf("replacement's Healthcheck = %+v, want v2's, every 2s", got)
			}
			if nc.Config.StopSignal != "SIGINT" {
				t.Errorf("replacement's StopSignal = %q, want SIGINT", nc.Config.StopSignal)
			}
			if nc.Config.Image != img.v2 {
				t.Errorf("replacement's Config.Image = %q, want %q", nc.Config.Image, img.v2)
			}
			wantHost := tc.hostname
			if wantHost == "" {
				wantHost = newID[:12]
			}
			if nc.Config.Hostname != wantHost {
				t.Errorf("replacement's Hostname = %q, want %q", nc.Config.Hostname, wantHost)
			}

			// Networks: aliases without the old short id, static address kept.
			a, b := nc.NetworkSettings.Networks[netA], nc.NetworkSettings.Networks[netB]
			if a == nil || b == nil {
				t.Fatalf("replacement's networks = %v, want %s and %s", slices.Collect(maps.Keys(nc.NetworkSettings.Networks)), netA, netB)
			}
			if !slices.Contains(a.Aliases, "a-alias") || !slices.Contains(b.Aliases, "b-alias") {
				t.Errorf("replacement's aliases = %q on %s, %q on %s, want a-alias and b-alias", a.Aliases, netA, b.Aliases, netB)
			}
			if slices.Contains(a.Aliases, oldID[:12]) || slices.Contains(b.Aliases, oldID[:12]) {
				t.Errorf("replacement's aliases = %q, %q, want the old short id %s gone", a.Aliases, b.Aliases, oldID[:12])
			}
			if tc.hostname != "" {
				if a.IPAMConfig == nil || a.IPAMConfig.IPv4Address.String() != staticIP {
					t.Errorf("replacement's IPAMConfig on %s = %+v, want IPv4Address %s", netA, a.IPAMConfig, staticIP)
				}
			}

			// The replacement runs in the old one's place.
			if err := rt.Stop(ctx, oldID, "", 5*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := rt.Start(ctx, newID); err != nil {
				t.Fatalf("start replacement: %v", err)
			}
			started := te.inspect(t, newID).Container
			if !started.State.Running {
				t.Fatalf("replacement state = %s, want running", started.State.Status)
			}
			if tc.hostname != "" {
				if got := started.NetworkSettings.Networks[netA].IPAddress.String(); got != staticIP {
					t.Errorf("replacement's address on %s = %s, want %s", netA, got, staticIP)
				}
			}
		})
	}
}

// TestIntegrationCreateReplacementNamesNetworkContainer checks that a
// network container given by id is named by name in the create request, so
// the replacement survives that container's own recreation. Engines that
// store the id anyway see the same container.
func TestIntegrationCreateReplacementNamesNetworkContainer(t *testing.T) {
	img := buildImages(t)
	on(t, func(t *testing.T, te *testEngine) { testNamesNetworkContainer(t, te, img) }, img.v1, img.v2)
}

func testNamesNetworkContainer(t *testing.T, te *testEngine, img testImages) {
	proxy := testenv.NewFaultProxy(t, te.Engine)
	rt, err := docker.New(proxy.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if rt.Host() != proxy.Host {
		t.Errorf("Host() = %q, want the given %q", rt.Host(), proxy.Host)
	}
	ctx := t.Context()

	peer := testenv.Name(t, "peer")
	peerID := te.RunContainer(t, peer, img.v1)
	dep := testenv.Name(t, "dep")
	// Both apps share one network stack, so one listens elsewhere.
	te.RunContainer(t, dep, "--network", "container:"+peerID, "-e", "PORT=8001", img.v1)

	old, err := rt.Container(ctx, dep)
	if err != nil {
		t.Fatal(err)
	}
	if old.NetworkContainer != peerID {
		t.Errorf("NetworkContainer = %q, want %s as given", old.NetworkContainer, peerID)
	}
	newID, err := rt.CreateReplacement(ctx, old, engine.Replacement{Image: img.v2, Name: dep + "-cutover"})
	if err != nil {
		t.Fatalf("CreateReplacement: %v", err)
	}
	te.removeLater(t, newID)

	sent := proxy.Calls(testenv.ContainerCreate)
	if len(sent) != 1 {
		t.Fatalf("create requests = %d, want 1", len(sent))
	}
	var req struct {
		Hostname   string
		HostConfig struct{ NetworkMode string }
	}
	if err := json.Unmarshal([]byte(sent[0].Body), &req); err != nil {
		t.Fatal(err)
	}
	if want := "container:" + peer; req.HostConfig.NetworkMode != want {
		t.Errorf("create request's NetworkMode = %q, want %q", req.HostConfig.NetworkMode, want)
	}
	if req.Hostname != "" {
		t.Errorf("create request's Hostname = %q, want none: the engine refuses one with a network container", req.Hostname)
	}
	got := te.inspect(t, newID).Container.HostConfig.NetworkMode
	if got != container.NetworkMode("container:"+peer) && got != container.NetworkMode("container:"+peerID) {
		t.Errorf("replacement's NetworkMode = %q, want container:%s", got, peer)
	}
	if err := rt.Start(ctx, newID); err != nil {
		t.Errorf("start replacement: %v", err)
	}
}

// TestIntegrationCreateReplacementKeepsMAC checks that a container keeps
// its MAC addresses: one the user set on every engine (engines before API
// 1.44 take it in Config, through a request the adapter writes by hand), and
// one the engine picked where the engine picks at random rather than from
// the IP address.
func TestIntegrationCreateReplacementKeepsMAC(t *testing.T) {
	img := buildImages(t)
	on(t, func(t *testing.T, te *testEngine) {
		t.Run("set by the user", func(t *testing.T) { testKeepsUserMAC(t, te, img) })
		t.Run("picked by the engine", func(t *testing.T) { testKeepsEngineMAC(t, te, img) })
	}, img.v1, img.v2)
}

func testKeepsUserMAC(t *testing.T, te *testEngine, img testImages) {
	rt, ctx := te.rt, t.Context()
	version := te.apiVersion(t)
	netA := testenv.Name(t, "net-mac")
	te.CreateNetwork(t, netA)

	const mac = "02:42:0a:d5:00:99"
	req := map[string]any{
		"Image":      img.v1,
		"Labels":     map[string]string{"cutover.test": "1"},
		"HostConfig": map[string]any{"NetworkMode": netA},
	}
	endpoint := map[string]any{}
	if versions.LessThan(version, "1.44") {
		req["MacAddress"] = mac
	} else {
		endpoint["MacAddress"] = mac
	}
	req["NetworkingConfig"] = map[string]any{"EndpointsConfig": map[string]any{netA: endpoint}}
	oldName := testenv.Name(t, "mac")
	oldID := te.createRaw(t, oldName, req)
	if err := rt.Start(ctx, oldID); err != nil {
		t.Fatal(err)
	}

	old, err := rt.Container(ctx, oldName)
	if err != nil {
		t.Fatal(err)
	}
	newID, err := rt.CreateReplacement(ctx, old, engine.Replacement{Image: img.v2, Name: oldName + "-cutover"})
	if err != nil {
		t.Fatalf("CreateReplacement: %v", err)
	}
	te.removeLater(t, newID)
	if err := rt.Remove(ctx, oldID, false); err != nil {
		t.Fatal(err)
	}
	if err := rt.Start(ctx, newID); err != nil {
		t.Fatalf("start replacement: %v", err)
	}
	ep := te.inspect(t, newID).Container.NetworkSettings.Networks[netA]
	if ep == nil || ep.MacAddress.String() != mac {
		t.Errorf("replacement's endpoint on %s = %+v, want MAC address %s", netA, ep, mac)
	}
}

func testKeepsEngineMAC(t *testing.T, te *testEngine, img testImages) {
	rt, ctx := te.rt, t.Context()
	netA, netB := testenv.Name(t, "net-a"), testenv.Name(t, "net-b")
	te.CreateNetwork(t, netA)
	te.CreateNetwork(t, netB)
	oldName := testenv.Name(t, "mac")
	oldID := te.RunContainer(t, oldName, "--network", netA, img.v1)
	te.Docker(t, "network", "connect", netB, oldName)
	oldNets := te.inspect(t, oldID).Container.NetworkSettings.Networks

	old, err := rt.Container(ctx, oldName)
	if err != nil {
		t.Fatal(err)
	}
	newID, err := rt.CreateReplacement(ctx, old, engine.Replacement{Image: img.v2, Name: oldName + "-cutover"})
	if err != nil {
		t.Fatalf("CreateReplacement: %v", err)
	}
	te.removeLater(t, newID)
	if err := rt.Stop(ctx, oldID, "", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := rt.Start(ctx, newID); err != nil {
		t.Fatalf("start replacement: %v", err)
	}
	newNets := te.inspect(t, newID).Container.NetworkSettings.Networks
	for _, n := range []string{netA, netB} {
		o, nw := oldNets[n], newNets[n]
		if o == nil || nw == nil || len(o.MacAddress) == 0 {
			t.Fatalf("endpoints on %s: old %+v, new %+v, want both with a MAC address", n, o, nw)
		}
		// Where the engine derives the address from the IP address, the new
		// endpoint must get its own, from its own IP address.
		want := o.MacAddress.String()
		if ip := o.IPAddress.As4(); want == fmt.Sprintf("02:42:%02x:%02x:%02x:%02x", ip[0], ip[1], ip[2], ip[3]) {
			ip := nw.IPAddress.As4()
			want = fmt.Sprintf("02:42:%02x:%02x:%02x:%02x", ip[0], ip[1], ip[2], ip[3])
		}
		if got := nw.MacAddress.String(); got != want {
			t.Errorf("replacement's MAC address on %s = %s, want %s (old one %s)", n, got, want, o.MacAddress)
		}
	}
}

// TestIntegrationCreateReplacementKeepsUserEntrypoint checks both ways the
// user can override the image's entrypoint.
func TestIntegrationCreateReplacementKeepsUserEntrypoint(t *testing.T) {
	img := buildImages(t)
	on(t, func(t *testing.T, te *testEngine) { testKeepsUserEntrypoint(t, te, img) }, img.v1, img.v2)
}

func testKeepsUserEntrypoint(t *testing.T, te *testEngine, img testImages) {
	rt, ctx := te.rt, t.Context()
	for _, tc := range []struct {
		name           string
		args           []string
		wantEntrypoint []string
		wantCmd        []string
	}{
		{name: "cleared", args: []string{"--entrypoint", "", img.v1, "/app", "serve"}, wantCmd: []string{"/app", "serve"}},
		{name: "own", args: []string{"--entrypoint", "/app", img.v1}, wantEntrypoint: []string{"/app"}},
		{name: "own cmd", args: []string{img.v1, "serve", "mine"}, wantEntrypoint: []string{"/app"}, wantCmd: []string{"serve", "mine"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := testenv.Name(t, "ep")
			te.RunContainer(t, n, tc.args...)
			old, err := rt.Container(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			id, err := rt.CreateReplacement(ctx, old, engine.Replacement{Image: img.v2, Name: n + "-cutover"})
			if err != nil {
				t.Fatalf("CreateReplacement: %v", err)
			}
			te.removeLater(t, id)
			got := te.inspect(t, id).Container.Config
			if !slices.Equal(got.Entrypoint, tc.wantEntrypoint) || !slices.Equal(got.Cmd, tc.wantCmd) {
				t.Errorf("replacement's Entrypoint, Cmd = %q, %q, want %q, %q", got.Entrypoint, got.Cmd, tc.wantEntrypoint, tc.wantCmd)
			}
		})
	}
}

// TestIntegrationCreateReplacementTakesEngineSystemPaths checks that the
// paths the engine masks or makes read-only in a container are the
// engine's own, as for a container created today, and not the list the old
// container's engine gave it: engines add paths when a leak is found
// (/proc/interrupts, /sys/devices/virtual/powercap in 2025), and inspect
// shows the list. Unconfined, which the user chose, stays unconfined.
func TestIntegrationCreateReplacementTakesEngineSystemPaths(t *testing.T) {
	img := buildImages(t)
	on(t, func(t *testing.T, te *testEngine) {
		rt, ctx := te.rt, t.Context()
		fresh := te.inspect(t, te.RunContainer(t, testenv.Name(t, "fresh"), img.v1)).Container.HostConfig
		if len(fresh.MaskedPaths) < 2 || len(fresh.ReadonlyPaths) < 2 {
			t.Fatalf("a fresh container's masked and read-only paths = %q, %q, want the engine's lists", fresh.MaskedPaths, fresh.ReadonlyPaths)
		}
		oldName := testenv.Name(t, "paths")
		// As an older engine would have created it: a shorter list.
		te.createRaw(t, oldName, map[string]any{
			"Image":  img.v1,
			"Labels": map[string]string{"cutover.test": "1"},
			"HostConfig": map[string]any{
				"MaskedPaths":   fresh.MaskedPaths[:1],
				"ReadonlyPaths": fresh.ReadonlyPaths[:1],
			},
		})
		unconfined := testenv.Name(t, "unconfined")
		te.RunContainer(t, unconfined, "--security-opt", "systempaths=unconfined", img.v1)

		for _, tc := range []struct {
			name               string
			wantMasked, wantRO []string
		}{
			{name: oldName, wantMasked: fresh.MaskedPaths, wantRO: fresh.ReadonlyPaths},
			{name: unconfined, wantMasked: []string{}, wantRO: []string{}},
		} {
			old, err := rt.Container(ctx, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			id, err := rt.CreateReplacement(ctx, old, engine.Replacement{Image: img.v2, Name: tc.name + "-cutover"})
			if err != nil {
				t.Fatalf("CreateReplacement of %s: %v", tc.name, err)
			}
			te.removeLater(t, id)
			got := te.inspect(t, id).Container.HostConfig
			if !cmp.Equal(got.MaskedPaths, tc.wantMasked) || !cmp.Equal(got.ReadonlyPaths, tc.wantRO) {
				t.Errorf("replacement of %s: masked paths %q, read-only paths %q, want %q, %q",
					tc.name, got.MaskedPaths, got.ReadonlyPaths, tc.wantMasked, tc.wantRO)
			}
		}
	}, img.v1, img.v2)
}

func mountAt(mounts []container.MountPoint, dst string) string {
	for _, m := range mounts {
		if m.Destination == dst {
			return m.Name
		}
	}
	return ""
}

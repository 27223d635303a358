package cli_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationUpdateKeepsEverySetting updates a container with a rich
// configuration and compares docker inspect before and after.
func TestIntegrationUpdateKeepsEverySetting(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	ref, d1, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{
		Env:        []string{"IMG_DEFAULT=one", "SHARED=image"},
		Labels:     map[string]string{"img.label": "v1"},
		Volumes:    []string{"/cache"},
		Expose:     []string{"8000"},
		StopSignal: "SIGUSR1",
	})
	name := testenv.Name(t, "rich")
	net1, net2, vol := testenv.Name(t, "net1"), testenv.Name(t, "net2"), testenv.Name(t, "vol")
	subnet, ip := freeSubnet()
	testenv.CreateNetwork(t, net1, "--subnet", subnet)
	testenv.CreateNetwork(t, net2)
	testenv.CreateVolume(t, vol)
	testenv.RunContainer(t, name,
		"-p", "127.0.0.1::8000", "--restart", "always",
		"-e", "USER_VAR=mine", "-e", "SHARED=user", "-e", "APP_DATA=/data",
		"--label", "user.label=x",
		"--memory", "64m", "--cpu-shares", "512",
		"--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD",
		"--security-opt", "no-new-privileges",
		"--log-opt", "max-size=1m",
		"--ulimit", "nofile=1024:2048",
		"--sysctl", "net.ipv4.ip_local_port_range=20000 30000",
		"--add-host", "db.example:127.0.0.2",
		"--dns", "127.0.0.53",
		"--tmpfs", "/scratch:size=1m",
		"--network", net1, "--network-alias", "alias1", "--ip", ip,
		"-v", vol+":/data",
		ref)
	testenv.Docker(t, "network", "connect", "--alias", "alias2", net2, name)
	addr := testenv.PublishedPort(t, name, "8000")
	testenv.WaitHTTP(t, "http://"+addr+"/", "v1", 20*time.Second)
	before := testenv.Inspect(t, name)
	oldID := before["Id"].(string)

	d2 := pushV2(testenv.ImageSpec{
		Env:        []string{"IMG_DEFAULT=two", "SHARED=image"},
		Labels:     map[string]string{"img.label": "v2"},
		Volumes:    []string{"/cache"},
		Expose:     []string{"8000"},
		StopSignal: "SIGUSR1",
	})

	// check reports it, and changes nothing.
	g, c := findContainer(t, checkJSON(t, name), name)
	if g.Image != ref || g.RemoteDigest != short(d2) || g.Status != "outdated" {
		t.Errorf("check group: got %s remote %s status %s, want %s remote %s outdated", g.Image, g.RemoteDigest, g.Status, ref, short(d2))
	}
	if c.LocalDigest != short(d1) || c.Status != "outdated" || c.ID != oldID[:12] {
		t.Errorf("check container %s: got id %s local %s status %s, want id %s local %s outdated", name, c.ID, c.LocalDigest, c.Status, oldID[:12], short(d1))
	}

	// a dry run prints the plan and changes nothing.
	r := cutover(t, "update", "--dry-run", name)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("would update %s (%s): %s -> %s", name, ref, short(d1), short(d2))) {
		t.Errorf("dry run: exit %d, output %q, want the plan line", r.code, r.stdout)
	}
	if got := containerID(t, name); got != oldID {
		t.Fatalf("dry run changed the container: id %s, want %s", got, oldID)
	}

	since := time.Now().Add(-time.Second).Unix()
	r = cutover(t, "update", name)
	if r.code != 0 || !strings.Contains(r.stdout, "1 scanned, 1 updated, 0 failed, 0 skipped") {
		t.Fatalf("update: exit %d, output %q, want one container updated", r.code, r.stdout)
	}
	after := testenv.Inspect(t, name)
	if after["Id"] == oldID {
		t.Fatalf("container %s was not recreated", name)
	}
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/", "v2", 20*time.Second)

	// Everything the user set is carried over.
	// Anonymous volumes are re-attached by name, which shows as a bind.
	if diff := cmp.Diff(stringsOf(hostConfig(before)["Binds"]), userBinds(hostConfig(after)["Binds"])); diff != "" {
		t.Errorf("HostConfig.Binds of %s changed (-before +after):\n%s", name, diff)
	}
	for _, field := range []string{"PortBindings", "RestartPolicy", "Memory", "CpuShares", "CapAdd", "CapDrop",
		"SecurityOpt", "LogConfig", "Ulimits", "Sysctls", "ExtraHosts", "Dns", "Tmpfs", "NetworkMode"} {
		if diff := cmp.Diff(hostConfig(before)[field], hostConfig(after)[field]); diff != "" {
			t.Errorf("HostConfig.%s of %s changed (-before +after):\n%s", field, name, diff)
		}
	}
	env := stringsOf(config(after)["Env"])
	for _, want := range []string{"USER_VAR=mine", "SHARED=user", "APP_DATA=/data", "IMG_DEFAULT=two"} {
		if !slices.Contains(env, want) {
			t.Errorf("env of %s after update: got %v, want it to contain %s", name, env, want)
		}
	}
	if slices.Contains(env, "IMG_DEFAULT=one") {
		t.Errorf("env of %s kept the old image's default IMG_DEFAULT=one: %v", name, env)
	}
	labels := config(after)["Labels"].(map[string]any)
	if labels["user.label"] != "x" || labels["img.label"] != "v2" {
		t.Errorf("labels of %s: got user.label=%v img.label=%v, want x and v2", name, labels["user.label"], labels["img.label"])
	}
	newID := after["Id"].(string)
	if h := config(after)["Hostname"]; h != newID[:12] {
		t.Errorf("hostname of %s: got %v, want the new container's own short id %s (the old one's was not set by the user)", name, h, newID[:12])
	}

	// Networks: aliases without the old short id, the static address kept.
	nets := networks(after)
	if got := aliases(nets[net1]); !slices.Contains(got, "alias1") || slices.Contains(got, oldID[:12]) {
		t.Errorf("aliases on %s: got %v, want alias1 and not the old short id", net1, got)
	}
	if got := aliases(nets[net2]); !slices.Contains(got, "alias2") {
		t.Errorf("aliases on %s: got %v, want alias2", net2, got)
	}
	if ipam, _ := nets[net1].(map[string]any)["IPAMConfig"].(map[string]any); ipam == nil || ipam["IPv4Address"] != ip {
		t.Errorf("static address on %s: got %v, want %s", net1, ipam, ip)
	}

	// Volumes: the named one and the anonymous one are the same volumes.
	if diff := cmp.Diff(volumeNames(before), volumeNames(after)); diff != "" {
		t.Errorf("volumes of %s changed (-before +after):\n%s", name, diff)
	}
	if data, err := testenv.HTTPGet(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/data"); err != nil || data != "v1\nv2\n" {
		t.Errorf("data on the named volume: got %q (%v), want both boots v1 and v2", data, err)
	}

	// The image's stop signal was delivered through the engine's stop, and the
	// restart policy did not revive the old container.
	events := testenv.Docker(t, "events", "--since", fmt.Sprint(since), "--until", fmt.Sprint(time.Now().Unix()),
		"--filter", "container="+oldID, "--format", "{{.Action}} {{index .Actor.Attributes \"signal\"}}")
	if !strings.Contains(events, "kill 10") {
		t.Errorf("events of the old container: got %q, want a kill with signal 10 (SIGUSR1)", events)
	}
	if strings.Contains(events, "start") {
		t.Errorf("old container was started again during the swap: events %q", events)
	}
	if got := namesLike(t, name); !slices.Equal(got, []string{name}) {
		t.Errorf("containers named like %s after update: got %v, want only %s", name, got, name)
	}
}

func hostConfig(inspect map[string]any) map[string]any { return inspect["HostConfig"].(map[string]any) }
func config(inspect map[string]any) map[string]any     { return inspect["Config"].(map[string]any) }

func networks(inspect map[string]any) map[string]any {
	return inspect["NetworkSettings"].(map[string]any)["Networks"].(map[string]any)
}

func aliases(endpoint any) []string {
	m, _ := endpoint.(map[string]any)
	return stringsOf(m["Aliases"])
}

func stringsOf(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, s := range list {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

// userBinds leaves out the binds of anonymous volumes (64 hex digit names).
func userBinds(v any) []string {
	return slices.DeleteFunc(stringsOf(v), func(b string) bool {
		name, _, _ := strings.Cut(b, ":")
		return anonymousVolume.MatchString(name)
	})
}

var anonymousVolume = regexp.MustCompile(`^[0-9a-f]{64}$`)

func volumeNames(inspect map[string]any) map[string]string {
	out := map[string]string{}
	mounts, _ := inspect["Mounts"].([]any)
	for _, m := range mounts {
		mm := m.(map[string]any)
		if mm["Type"] == "volume" {
			out[fmt.Sprint(mm["Destination"])] = fmt.Sprint(mm["Name"])
		}
	}
	return out
}

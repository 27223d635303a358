package cli_test

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/testenv"
)

// richImage is the image side of the rich configuration: defaults the
// container's own settings must win over, or give way to.
func richImage(imgDefault, imgLabel string) testenv.ImageSpec {
	return testenv.ImageSpec{
		Env:        []string{"IMG_DEFAULT=" + imgDefault, "SHARED=image"},
		Labels:     map[string]string{"img.label": imgLabel},
		Volumes:    []string{"/cache"},
		Expose:     []string{"8000"},
		StopSignal: "SIGUSR1",
	}
}

// rich is a container started with every kind of setting a swap must
// carry over, and what checking them after its update needs.
type rich struct {
	name, net1, net2, ip string
	before               map[string]any
	oldID                string
}

// runRich starts a rich container on ref, with extra docker run arguments,
// and waits until it answers version.
func runRich(t *testing.T, ref, version string, extra ...string) rich {
	t.Helper()
	r := rich{name: testenv.Name(t, "rich"), net1: testenv.Name(t, "net1"), net2: testenv.Name(t, "net2")}
	vol := testenv.Name(t, "vol")
	var subnet string
	subnet, r.ip = freeSubnet()
	testenv.CreateNetwork(t, r.net1, "--subnet", subnet)
	testenv.CreateNetwork(t, r.net2)
	testenv.CreateVolume(t, vol)
	args := append([]string{
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
		"--network", r.net1, "--network-alias", "alias1", "--ip", r.ip,
		"-v", vol + ":/data"}, extra...)
	testenv.RunContainer(t, r.name, append(args, ref)...)
	testenv.Docker(t, "network", "connect", "--alias", "alias2", r.net2, r.name)
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, r.name, "8000")+"/", version, 20*time.Second)
	r.before = testenv.Inspect(t, r.name)
	r.oldID = r.before["Id"].(string)
	return r
}

// followEvents follows the engine's events of the container with id from
// now on, as they happen: reading them back afterwards with --since would
// depend on the engine's short memory of past events, which a busy engine
// overflows. The returned func waits for the container's removal and
// returns one "action signal" line per event.
func followEvents(t *testing.T, id string) func() string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	cmd := exec.CommandContext(ctx, "docker", "events", "--filter", "container="+id,
		"--format", `{{.Action}} {{index .Actor.Attributes "signal"}}`)
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("docker events: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	return func() string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(out.String(), "destroy") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		_ = cmd.Wait()
		return out.String()
	}
}

// requireKept checks that the container was recreated, answers newVersion
// after oldVersion booted on the same volume, and kept everything the user
// set, with the new image's defaults (IMG_DEFAULT=imgDefault,
// img.label=imgLabel) where the user set none. events are the old
// container's, followed through the update (followEvents).
func (r rich) requireKept(t *testing.T, events func() string, oldVersion, newVersion, imgDefault, imgLabel string) map[string]any {
	t.Helper()
	name := r.name
	after := testenv.Inspect(t, name)
	if after["Id"] == r.oldID {
		t.Fatalf("container %s was not recreated", name)
	}
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/", newVersion, 20*time.Second)

	// Everything the user set is carried over.
	// Anonymous volumes are re-attached by name, which shows as a bind.
	if diff := cmp.Diff(stringsOf(hostConfig(r.before)["Binds"]), userBinds(hostConfig(after)["Binds"])); diff != "" {
		t.Errorf("HostConfig.Binds of %s changed (-before +after):\n%s", name, diff)
	}
	for _, field := range []string{"PortBindings", "RestartPolicy", "Memory", "CpuShares", "CapAdd", "CapDrop",
		"SecurityOpt", "LogConfig", "Ulimits", "Sysctls", "ExtraHosts", "Dns", "Tmpfs", "NetworkMode"} {
		if diff := cmp.Diff(hostConfig(r.before)[field], hostConfig(after)[field]); diff != "" {
			t.Errorf("HostConfig.%s of %s changed (-before +after):\n%s", field, name, diff)
		}
	}
	env := stringsOf(config(after)["Env"])
	for _, want := range []string{"USER_VAR=mine", "SHARED=user", "APP_DATA=/data", "IMG_DEFAULT=" + imgDefault} {
		if !slices.Contains(env, want) {
			t.Errorf("env of %s after update: got %v, want it to contain %s", name, env, want)
		}
	}
	for _, old := range stringsOf(config(r.before)["Env"]) {
		if strings.HasPrefix(old, "IMG_DEFAULT=") && old != "IMG_DEFAULT="+imgDefault && slices.Contains(env, old) {
			t.Errorf("env of %s kept the old image's default %s: %v", name, old, env)
		}
	}
	labels := config(after)["Labels"].(map[string]any)
	if labels["user.label"] != "x" || labels["img.label"] != imgLabel {
		t.Errorf("labels of %s: got user.label=%v img.label=%v, want x and %s", name, labels["user.label"], labels["img.label"], imgLabel)
	}
	newID := after["Id"].(string)
	if h := config(after)["Hostname"]; h != newID[:12] {
		t.Errorf("hostname of %s: got %v, want the new container's own short id %s (the old one's was not set by the user)", name, h, newID[:12])
	}

	// Networks: aliases without the old short id, the static address kept.
	nets := networks(after)
	if got := aliases(nets[r.net1]); !slices.Contains(got, "alias1") || slices.Contains(got, r.oldID[:12]) {
		t.Errorf("aliases on %s: got %v, want alias1 and not the old short id", r.net1, got)
	}
	if got := aliases(nets[r.net2]); !slices.Contains(got, "alias2") {
		t.Errorf("aliases on %s: got %v, want alias2", r.net2, got)
	}
	if ipam, _ := nets[r.net1].(map[string]any)["IPAMConfig"].(map[string]any); ipam == nil || ipam["IPv4Address"] != r.ip {
		t.Errorf("static address on %s: got %v, want %s", r.net1, ipam, r.ip)
	}

	// Volumes: the named one and the anonymous one are the same volumes.
	if diff := cmp.Diff(volumeNames(r.before), volumeNames(after)); diff != "" {
		t.Errorf("volumes of %s changed (-before +after):\n%s", name, diff)
	}
	want := oldVersion + "\n" + newVersion + "\n"
	if data, err := testenv.HTTPGet(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/data"); err != nil || data != want {
		t.Errorf("data on the named volume: got %q (%v), want both boots %q", data, err, want)
	}

	// The image's stop signal was delivered through the engine's stop, and the
	// restart policy did not revive the old container.
	seen := events()
	if !strings.Contains(seen, "kill 10") {
		t.Errorf("events of the old container: got %q, want a kill with signal 10 (SIGUSR1)", seen)
	}
	if strings.Contains(seen, "start") {
		t.Errorf("old container was started again during the swap: events %q", seen)
	}
	if got := namesLike(t, name); !slices.Equal(got, []string{name}) {
		t.Errorf("containers named like %s after update: got %v, want only %s", name, got, name)
	}
	return after
}

// TestIntegrationUpdateKeepsEverySetting updates a container with a rich
// configuration and compares docker inspect before and after.
func TestIntegrationUpdateKeepsEverySetting(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	ref, d1, pushV2 := imagePair(t, testenv.PlainRegistry, richImage("one", "v1"))
	r := runRich(t, ref, "v1")
	name := r.name
	d2 := pushV2(richImage("two", "v2"))

	// check reports it, and changes nothing.
	g, c := findContainer(t, checkJSON(t, name), name)
	if g.Image != ref || g.RemoteDigest != short(d2) || g.Status != "outdated" {
		t.Errorf("check group: got %s remote %s status %s, want %s remote %s outdated", g.Image, g.RemoteDigest, g.Status, ref, short(d2))
	}
	if c.LocalDigest != short(d1) || c.Status != "outdated" || c.ID != r.oldID[:12] {
		t.Errorf("check container %s: got id %s local %s status %s, want id %s local %s outdated", name, c.ID, c.LocalDigest, c.Status, r.oldID[:12], short(d1))
	}

	// a dry run prints the plan and changes nothing.
	res := cutover(t, "update", "--dry-run", name)
	if res.code != 0 || !strings.Contains(res.stdout, fmt.Sprintf("would update %s (%s): %s -> %s", name, ref, short(d1), short(d2))) {
		t.Errorf("dry run: exit %d, output %q, want the plan line", res.code, res.stdout)
	}
	if got := containerID(t, name); got != r.oldID {
		t.Fatalf("dry run changed the container: id %s, want %s", got, r.oldID)
	}

	events := followEvents(t, r.oldID)
	res = cutover(t, "update", name)
	if res.code != 0 || !strings.Contains(res.stdout, "1 scanned, 1 updated, 0 failed, 0 skipped") {
		t.Fatalf("update: exit %d, output %q, want one container updated", res.code, res.stdout)
	}
	r.requireKept(t, events, "v1", "v2", "two", "v2")
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

package testenv_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestAppImage checks the behaviours of testdata/app that other packages'
// tests rely on to observe an update: modes, signals, data and arguments.
func TestAppImage(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)

	t.Run("stop signal and data volume", func(t *testing.T) {
		t.Parallel()
		ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{
			Repo:       testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "signal"),
			Version:    "v1",
			StopSignal: "SIGUSR1",
			Cmd:        []string{"serve", "--flag"},
		})
		name := testenv.Name(t, "signal")
		volume := testenv.Name(t, "data")
		testenv.CreateVolume(t, volume)
		testenv.RunContainer(t, name, "-p", "127.0.0.1::8000", "-v", volume+":/data", "-e", "APP_DATA=/data", ref)
		base := "http://" + testenv.PublishedPort(t, name, "8000")
		testenv.WaitHTTP(t, base+"/data", "v1", 15*time.Second)
		if got, err := testenv.HTTPGet(t, base+"/args"); err != nil || got != "serve --flag" {
			t.Errorf("container %s: /args: got %q (%v), want %q", name, got, err, "serve --flag")
		}

		testenv.Docker(t, "stop", "--time", "10", name)
		if got := testenv.Docker(t, "inspect", "--format", "{{.State.ExitCode}}", name); got != "0" {
			t.Errorf("container %s: exit code after stop: got %s, want 0", name, got)
		}
		if logs := testenv.Docker(t, "logs", name); !strings.Contains(logs, "received SIGUSR1") {
			t.Errorf("container %s: logs %q, want a line received SIGUSR1", name, logs)
		}

		// A restart boots a second time on the same volume.
		testenv.Docker(t, "start", name)
		base = "http://" + testenv.PublishedPort(t, name, "8000")
		testenv.WaitHTTP(t, base+"/data", "v1\nv1", 15*time.Second)
	})

	t.Run("build-time crash wins over environment", func(t *testing.T) {
		t.Parallel()
		ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{
			Repo: testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "crash"),
			Mode: "crash",
		})
		name := testenv.Name(t, "crash")
		testenv.RunContainer(t, name, "-e", "APP_MODE=unhealthy", ref)
		waitState(t, name, "exited", 15*time.Second)
		if got := testenv.Docker(t, "inspect", "--format", "{{.State.ExitCode}}", name); got != "1" {
			t.Errorf("container %s: exit code: got %s, want 1", name, got)
		}
	})

	t.Run("unhealthy", func(t *testing.T) {
		t.Parallel()
		ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{
			Repo:           testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "sick"),
			Mode:           "unhealthy",
			HealthInterval: "1s",
		})
		name := testenv.Name(t, "sick")
		testenv.RunContainer(t, name, ref)
		waitHealth(t, name, "unhealthy", 30*time.Second)
	})

	t.Run("slow start", func(t *testing.T) {
		t.Parallel()
		ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{
			Repo:    testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "slow"),
			Version: "v3",
		})
		name := testenv.Name(t, "slow")
		testenv.RunContainer(t, name, "-p", "127.0.0.1::8000",
			"-e", "APP_MODE=slowstart", "-e", "APP_START_DELAY=3s", ref)
		base := "http://" + testenv.PublishedPort(t, name, "8000")
		if body, err := testenv.HTTPGet(t, base+"/"); err == nil {
			t.Errorf("container %s: answered %q at once, want no answer during the start delay", name, body)
		}
		testenv.WaitHTTP(t, base+"/", "v3", 15*time.Second)
	})

	t.Run("image config", func(t *testing.T) {
		t.Parallel()
		ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{
			Repo:    testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "config"),
			Volumes: []string{"/cache"},
			Expose:  []string{"8000", "9000/udp"},
			WorkDir: "/work",
			User:    "1000:1000",
		})
		got := testenv.Docker(t, "image", "inspect", "--format",
			"{{json .Config.Volumes}} {{json .Config.ExposedPorts}} {{.Config.WorkingDir}} {{.Config.User}} {{.Config.Labels}}", ref)
		want := `{"/cache":{}} {"8000/tcp":{},"9000/udp":{}} /work 1000:1000 map[`
		if !strings.HasPrefix(got, want) {
			t.Errorf("image %s: config %q, want it to start with %q", ref, got, want)
		}
		name := testenv.Name(t, "config")
		testenv.RunContainer(t, name, "-p", "127.0.0.1::8000", ref)
		testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/", "latest", 15*time.Second)
	})

	t.Run("registry newer than engine", func(t *testing.T) {
		t.Parallel()
		repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "newer")
		ref, digest := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Version: "v2", ExtraLayers: 2})
		testenv.RemoveImageLocal(t, ref)
		// The engine has to fetch the image again, and gets the pushed one.
		// BuildAndPush's cleanup removes the pulled image too: same ID.
		out := testenv.Docker(t, "pull", ref)
		// The random layers belong to this image alone, so they left with it
		// and are downloaded again; the app layer may be shared and stay.
		if n := strings.Count(out, "Pull complete"); n < 2 {
			t.Errorf("docker pull %s: %d layers downloaded, want at least the 2 extra ones:\n%s", ref, n, out)
		}
		if got := testenv.Docker(t, "image", "inspect", "--format", "{{index .RepoDigests 0}}", ref); got != repo+"@"+digest {
			t.Errorf("pulled %s: got %s, want %s@%s", ref, got, repo, digest)
		}
	})
}

func waitState(t *testing.T, name, want string, timeout time.Duration) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got = testenv.Docker(t, "inspect", "--format", "{{.State.Status}}", name)
		if got == want {
			return
		}
	}
	t.Fatalf("container %s: state %q after %s, want %q", name, got, timeout, want)
}

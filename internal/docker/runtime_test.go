package docker_test

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationContainersReportsConfiguredImage checks the fields the
// engine orders and gates swaps by, and that the image is the reference the
// user gave even after its tag moved on.
func TestIntegrationContainersReportsConfiguredImage(t *testing.T) {
	img := buildImages(t)
	on(t, func(t *testing.T, te *testEngine) {
		testContainersReportsConfiguredImage(t, te, img)
	}, img.v1, img.v2)
}

func testContainersReportsConfiguredImage(t *testing.T, te *testEngine, img testImages) {
	ctx := t.Context()
	moving := strings.TrimSuffix(img.v1, ":v1") + ":moving"
	te.Docker(t, "tag", img.v1, moving)
	db := testenv.Name(t, "db")
	te.RunContainer(t, db, img.v1)
	web := testenv.Name(t, "web")
	webID := te.RunContainer(t, web, "--link", db+":database", "--stop-signal", "SIGQUIT", "--stop-timeout", "7", moving)
	te.Docker(t, "tag", img.v2, moving)

	all, err := te.rt.Containers(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(c engine.Container) bool { return c.ID == webID })
	if i < 0 {
		t.Fatalf("Containers: %s missing", web)
	}
	got := all[i]
	v1, err := te.rt.Image(ctx, img.v1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		field     string
		got, want string
	}{
		{"Name", got.Name, web},
		{"Image", got.Image, moving},
		{"ImageID", got.ImageID, v1.ID},
		{"State", string(got.State), "running"},
		{"StopSignal", got.StopSignal, "SIGQUIT"},
		{"label cutover.test", got.Labels["cutover.test"], "1"},
	} {
		if c.got != c.want {
			t.Errorf("%s of %s = %q, want %q", c.field, web, c.got, c.want)
		}
	}
	if want := []string{db}; !slices.Equal(got.Links, want) {
		t.Errorf("Links of %s = %q, want %q", web, got.Links, want)
	}
	if !got.HasHealthcheck {
		t.Errorf("HasHealthcheck of %s = false, want true", web)
	}
	if got.StopTimeout == nil || *got.StopTimeout != 7*time.Second {
		t.Errorf("StopTimeout of %s = %v, want 7s", web, got.StopTimeout)
	}
	if got.Created.IsZero() {
		t.Errorf("Created of %s is zero", web)
	}
}

func TestIntegrationMissingObjectsAreNotFound(t *testing.T) {
	on(t, func(t *testing.T, te *testEngine) {
		ctx := t.Context()
		missing := testenv.Name(t, "missing")
		if _, err := te.rt.Container(ctx, missing); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("Container(%s) error = %v, want ErrNotFound", missing, err)
		}
		if _, err := te.rt.Image(ctx, "cutover-test/"+missing+":v1"); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("Image(%s) error = %v, want ErrNotFound", missing, err)
		}
		if err := te.rt.Remove(ctx, missing, false); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("Remove(%s) error = %v, want ErrNotFound", missing, err)
		}
	})
}

func TestIntegrationPull(t *testing.T) {
	testenv.RequireRegistries(t)
	on(t, testPull)
}

func testPull(t *testing.T, te *testEngine) {
	rt, ctx := te.rt, t.Context()
	t.Run("reports progress", func(t *testing.T) {
		repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "pull")
		ref, digest := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "v1", ExtraLayers: 1})
		te.RemoveImageLocal(t, ref)
		var reports []engine.PullProgress
		if err := rt.Pull(ctx, ref, engine.Auth{}, func(p engine.PullProgress) { reports = append(reports, p) }); err != nil {
			t.Fatalf("Pull(%s): %v", ref, err)
		}
		// Each layer is named and ends complete. Sizes come with the
		// downloads the engine reports while they run: every one on a
		// graph-driver store, the ones a 100 ms sample catches on the
		// containerd store.
		layers := map[string]string{}
		for _, p := range reports {
			if p.Layer == "" || p.Total > 0 && p.Current > p.Total {
				t.Errorf("progress report %+v: want a layer, and no more bytes than its size", p)
			}
			layers[p.Layer] = p.Status
		}
		// The extra layer is new to the engine; the shared one is named on
		// a graph-driver store, while the containerd store may say nothing
		// of a layer its content store already holds.
		if want := map[bool]int{true: 1, false: 2}[te.ContainerdStore(t)]; len(layers) < want {
			t.Errorf("progress reports = %+v, want at least %d layers named", reports, want)
		}
		for l, last := range layers {
			// A layer other images share may be there already.
			if last != "Pull complete" && last != "Already exists" {
				t.Errorf("layer %s: last report %q, want Pull complete or Already exists", l, last)
			}
		}
		sized := slices.IndexFunc(reports, func(p engine.PullProgress) bool { return p.Total > 0 })
		if sized < 0 && !te.ContainerdStore(t) {
			t.Errorf("progress reports = %+v, want some with a layer's size", reports)
		}
		got, err := rt.Image(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if want := repo + "@" + digest; !slices.Contains(got.RepoDigests, want) {
			t.Errorf("RepoDigests = %q, want %s", got.RepoDigests, want)
		}
	})
	t.Run("credentials", func(t *testing.T) {
		repo := testenv.AuthRegistry + "/cutover-test/" + testenv.Name(t, "pull")
		ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "v1"})
		te.RemoveImageLocal(t, ref)
		// Engines word the refusal differently: "no basic auth credentials",
		// "unauthorized: authentication required".
		if err := rt.Pull(ctx, ref, engine.Auth{}, nil); err == nil {
			t.Errorf("Pull(%s) without credentials = nil, want the registry's refusal", ref)
		}
		auth := engine.Auth{ServerAddress: testenv.AuthRegistry, Username: testenv.AuthUser, Password: testenv.AuthPassword}
		if err := rt.Pull(ctx, ref, auth, nil); err != nil {
			t.Errorf("Pull(%s) with credentials: %v", ref, err)
		}
	})
	t.Run("missing tag", func(t *testing.T) {
		missing := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "missing") + ":v1"
		err := rt.Pull(ctx, missing, engine.Auth{}, nil)
		// The engine passes on the registry's words, or with the containerd
		// image store, its resolver's.
		if err == nil || !strings.Contains(err.Error(), "manifest unknown") && !strings.Contains(err.Error(), missing+": not found") {
			t.Errorf("Pull(%s) error = %v, want the registry's manifest unknown or %s: not found", missing, err, missing)
		}
	})
	t.Run("no registry", func(t *testing.T) {
		// Nothing listens on port 1.
		missing := "127.0.0.1:1/cutover-test/missing:v1"
		if err := rt.Pull(ctx, missing, engine.Auth{}, nil); err == nil {
			t.Errorf("Pull(%s) = nil, want an error", missing)
		}
	})
}

// TestIntegrationStopSendsSignal checks that a stop with another signal than
// the container's own delivers it, and that the restart policy stays out.
func TestIntegrationStopSendsSignal(t *testing.T) {
	img := buildImages(t)
	on(t, func(t *testing.T, te *testEngine) {
		ctx := t.Context()
		n := testenv.Name(t, "stop")
		id := te.RunContainer(t, n, "--restart", "always", img.v1)
		waitHealthy(t, te.rt, id)
		if err := te.rt.Stop(ctx, id, "SIGQUIT", 5*time.Second); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if logs := te.Docker(t, "logs", id); !strings.Contains(logs, "received SIGQUIT") {
			t.Errorf("output of %s = %q, want it to have received SIGQUIT", n, logs)
		}
		// The engine weighs the restart policy as the container exits: it
		// marks it exited for good, or restarting with one more restart.
		// Waiting for either sign of the decision, rather than for time to
		// pass, lets a restart show however slow the engine is.
		h := waitHealth(t, te.rt, id, "exited or restarted", func(h engine.HealthState) bool {
			return h.State == "exited" || h.State == "restarting" || h.RestartCount > 0
		})
		if h.State != "exited" || h.RestartCount != 0 {
			t.Errorf("%s after Stop: state %s, restarts %d, want exited, 0", n, h.State, h.RestartCount)
		}
	})
}

func TestIntegrationProbe(t *testing.T) {
	img := buildImages(t)
	sick, _ := testenv.BuildAndPush(t, testenv.ImageSpec{
		Repo: testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "sick"),
		Mode: "unhealthy", HealthInterval: "1h",
	})
	on(t, func(t *testing.T, te *testEngine) {
		healthy := te.RunContainer(t, testenv.Name(t, "probe-ok"), img.v1)
		unhealthy := te.RunContainer(t, testenv.Name(t, "probe-sick"), sick)
		shell := te.RunContainer(t, testenv.Name(t, "probe-shell"), "--health-cmd", "/app health", img.v1)
		none := te.RunContainer(t, testenv.Name(t, "probe-none"), "--no-healthcheck", img.v1)
		waitHealthy(t, te.rt, healthy)

		for _, tc := range []struct {
			name    string
			id      string
			want    engine.ProbeResult
			wantErr error
		}{
			{name: "passing", id: healthy, want: engine.ProbeResult{Healthy: true}},
			{name: "failing", id: unhealthy, want: engine.ProbeResult{Output: "500 Internal Server Error\n"}},
			{name: "CMD-SHELL without a shell", id: shell, wantErr: engine.ErrNoProbe},
			{name: "no healthcheck", id: none, wantErr: engine.ErrNoProbe},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := probeSettled(t, te.rt, tc.id)
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("Probe error = %v, want %v", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("Probe: %v", err)
				}
				if got != tc.want {
					t.Errorf("Probe = %+v, want %+v", got, tc.want)
				}
			})
		}
	})
}

// probeSettled probes until the app answers at all: a just started one
// refuses connections for a moment.
func probeSettled(t *testing.T, rt engine.Runtime, id string) (engine.ProbeResult, error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err := rt.Probe(t.Context(), id)
		if err != nil || !strings.Contains(got.Output, "connection refused") || time.Now().After(deadline) {
			return got, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitHealthy waits until the engine reports the container running and
// healthy.
func waitHealthy(t *testing.T, rt engine.Runtime, id string) {
	t.Helper()
	waitHealth(t, rt, id, "running and healthy", func(h engine.HealthState) bool {
		return h.State == "running" && h.Health == "healthy"
	})
}

// waitHealth polls the container's state until done says so, for at most
// 30 s, and returns that state; want describes it for the failure message.
func waitHealth(t *testing.T, rt engine.Runtime, id, want string, done func(engine.HealthState) bool) engine.HealthState {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := rt.Health(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if done(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("Health of %s = %+v after 30s, want %s", id, h, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestIntegrationRegistries(t *testing.T) {
	on(t, func(t *testing.T, te *testEngine) {
		got, err := te.rt.Registries(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// The engine trusts loopback registries over HTTP unless told otherwise.
		if !slices.Contains(got.Insecure, "127.0.0.0/8") {
			t.Errorf("Registries().Insecure = %q, want it to contain 127.0.0.0/8", got.Insecure)
		}
		if want := "linux/" + runtime.GOARCH; runtime.GOARCH == "amd64" && got.Platform != want {
			t.Errorf("Registries().Platform = %q, want %q", got.Platform, want)
		}
	})
}

// A container's old image must keep saying which digest it was pulled by
// once a pull of the new version moved its tag on: the containerd store
// then drops its RepoDigests, and gives its manifest's digest instead.
func TestIntegrationImageDigestOnceItsTagMoved(t *testing.T) {
	testenv.RequireRegistries(t)
	on(t, func(t *testing.T, te *testEngine) {
		ctx := t.Context()
		repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "moved")
		ref, v1 := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "v", Version: "moved-1"})
		te.Pull(t, ref)
		old, err := te.rt.Image(ctx, ref)
		if err != nil {
			t.Fatalf("Image(%s): %v", ref, err)
		}
		_, v2 := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "v", Version: "moved-2"})
		te.Pull(t, ref)
		if now, err := te.rt.Image(ctx, ref); err != nil || now.ID == old.ID {
			t.Fatalf("Image(%s) after pulling %s = %+v, %v; want another image", ref, v2, now, err)
		}
		img, err := te.rt.Image(ctx, old.ID)
		if err != nil {
			t.Fatalf("Image(%s): %v", old.ID, err)
		}
		if !slices.Contains(img.RepoDigests, repo+"@"+v1) && img.Digest != v1 {
			t.Errorf("old image once its tag moved: RepoDigests %v, Digest %q; want %s among them", img.RepoDigests, img.Digest, v1)
		}
	})
}

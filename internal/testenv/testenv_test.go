package testenv_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// created lists what one subtest made, to check afterwards that its cleanups
// removed all of it.
type created struct {
	containers []string
	swapOf     string
	network    string
	volume     string
	imageIDs   []string
}

func TestBuildPushRunAndCleanUp(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)

	// A container whose name starts like the subtest's container but does not
	// follow cutover's naming, from an image of the parent test: the
	// subtest's cleanups must leave it.
	keepRef, _ := testenv.BuildAndPush(t, testenv.ImageSpec{
		Repo: testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "keep"),
	})
	for _, reg := range []string{testenv.PlainRegistry, testenv.AuthRegistry} {
		var made created
		var bystander string
		t.Run(reg, func(t *testing.T) {
			made = buildPushAndRun(t, reg)
			testenv.Docker(t, "create", "--name", made.containers[0]+"-keep", "--label", testenv.TestLabel, keepRef)
			bystander = made.containers[0] + "-keep"
		})
		if bystander != "" {
			t.Cleanup(func() { testenv.Docker(t, "rm", "--force", bystander) })
		}
		if t.Failed() {
			return
		}
		checkRemoved(t, made)
		if got := testenv.Docker(t, "ps", "--all", "--quiet", "--filter", "name=^/"+bystander+"$"); got == "" {
			t.Errorf("container %s: removed by another container's cleanup, want kept", bystander)
		}
	}
}

// buildPushAndRun pushes a v1 and a v2 image to reg, runs v1 with everything
// the helpers can attach, and adds the containers cutover would leave around.
func buildPushAndRun(t *testing.T, reg string) created {
	repo := reg + "/cutover-test/" + testenv.Name(t, "app")
	ref1, digest1 := testenv.BuildAndPush(t, testenv.ImageSpec{
		Repo:           repo,
		Tag:            "v1",
		HealthInterval: "1s",
		Env:            []string{`APP_GREETING=hello "world" $HOME \n`},
		Labels:         map[string]string{"org.example.role": "web server"},
		ExtraLayers:    2,
	})
	ref2, digest2 := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "v2"})
	for _, d := range []string{digest1, digest2} {
		if !digestPattern.MatchString(d) {
			t.Fatalf("BuildAndPush(%s): got digest %q, want sha256:<64 hex>", repo, d)
		}
	}
	if digest1 == digest2 {
		t.Errorf("BuildAndPush(%s): v1 and v2 both got digest %s, want different", repo, digest1)
	}
	checkRegistryDigest(t, reg, repo, "v1", digest1)
	checkRegistryDigest(t, reg, repo, "v2", digest2)

	name := testenv.Name(t, "web")
	network := testenv.Name(t, "net")
	volume := testenv.Name(t, "vol")
	testenv.CreateNetwork(t, network)
	testenv.CreateVolume(t, volume)
	testenv.RunContainer(t, name, "-p", "127.0.0.1::8000", "--network", network,
		"-v", volume+":/data", "-e", "APP_DATA=/data", ref1)

	addr := testenv.PublishedPort(t, name, "8000")
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("PublishedPort(%s): got %q, want 127.0.0.1:<port>", name, addr)
	}
	testenv.WaitHTTP(t, "http://"+addr+"/", "v1", 15*time.Second)
	if got, err := testenv.HTTPGet(t, "http://"+addr+"/env?name=APP_GREETING"); err != nil || got != `hello "world" $HOME \n` {
		t.Errorf("container %s: env APP_GREETING: got %q (%v), want the ENV value verbatim", name, got, err)
	}
	if got, err := testenv.HTTPGet(t, "http://"+addr+"/data"); err != nil || got != "v1\n" {
		t.Errorf("container %s: /data: got %q (%v), want %q", name, got, err, "v1\n")
	}
	waitHealth(t, name, "healthy", 20*time.Second)
	labels, _ := testenv.Inspect(t, name)["Config"].(map[string]any)["Labels"].(map[string]any)
	if labels["org.example.role"] != "web server" || labels["cutover.test"] != "1" {
		t.Errorf("container %s: labels %v, want org.example.role=web server and cutover.test=1", name, labels)
	}

	// What cutover leaves while it swaps: the old container renamed aside
	// and a running new one labelled with the name it replaces, from an
	// image built after RunContainer, whose cleanup therefore runs first.
	renamed := name + "-cutover-old"
	testenv.Docker(t, "create", "--name", renamed, ref2)
	ref3, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "v3"})
	swap := testenv.Name(t, "swap")
	testenv.Docker(t, "run", "--detach", "--name", swap, "--label", testenv.SwapLabel+"="+name, ref3)

	return created{
		containers: []string{name, renamed, swap},
		swapOf:     name,
		network:    network,
		volume:     volume,
		imageIDs:   []string{imageID(t, ref1), imageID(t, ref2), imageID(t, ref3)},
	}
}

func imageID(t *testing.T, ref string) string {
	return testenv.Docker(t, "image", "inspect", "--format", "{{.Id}}", ref)
}

// checkRegistryDigest asks the registry itself which digest the tag has.
func checkRegistryDigest(t *testing.T, reg, repo, tag, want string) {
	t.Helper()
	path := strings.TrimPrefix(repo, reg+"/")
	req, err := http.NewRequest(http.MethodHead, "http://"+reg+"/v2/"+path+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	if reg == testenv.AuthRegistry {
		resp, err := http.DefaultClient.Do(req.Clone(req.Context()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("HEAD %s:%s without credentials: got status %d, want 401", repo, tag, resp.StatusCode)
		}
		req.SetBasicAuth(testenv.AuthUser, testenv.AuthPassword)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Docker-Content-Digest"); resp.StatusCode != http.StatusOK || got != want {
		t.Errorf("HEAD %s:%s: got status %d digest %q, want 200 and %s", repo, tag, resp.StatusCode, got, want)
	}
}

func waitHealth(t *testing.T, name, want string, timeout time.Duration) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		got = testenv.Docker(t, "inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", name)
		if got == want {
			return
		}
	}
	t.Fatalf("container %s: health %q after %s, want %q", name, got, timeout, want)
}

// checkRemoved fails the test for anything in made that still exists.
func checkRemoved(t *testing.T, made created) {
	t.Helper()
	for _, c := range made.containers {
		if id := testenv.Docker(t, "ps", "--all", "--quiet", "--filter", "name=^/"+c+"$"); id != "" {
			t.Errorf("container %s: still exists after its test ended", c)
		}
	}
	if ids := testenv.Docker(t, "ps", "--all", "--quiet", "--filter", "label="+testenv.SwapLabel+"="+made.swapOf); ids != "" {
		t.Errorf("containers labelled %s=%s: %s still exist after the test ended", testenv.SwapLabel, made.swapOf, ids)
	}
	if out := testenv.Docker(t, "network", "ls", "--quiet", "--filter", "name=^"+made.network+"$"); out != "" {
		t.Errorf("network %s: still exists after its test ended", made.network)
	}
	if out := testenv.Docker(t, "volume", "ls", "--quiet", "--filter", "name=^"+made.volume+"$"); out != "" {
		t.Errorf("volume %s: still exists after its test ended", made.volume)
	}
	images := strings.Fields(testenv.Docker(t, "image", "ls", "--all", "--quiet", "--no-trunc"))
	for _, id := range made.imageIDs {
		if slices.Contains(images, id) {
			t.Errorf("image %s: still exists after its test ended", id)
		}
	}
}

package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationImageEndToEnd runs the image make image builds the way a
// user runs it: a container with the engine's socket, a data volume and a
// port published on loopback, on the default bridge network. Through its
// HTTP surfaces it deploys one app, updates a labelled one, shows both on
// the dashboard, keeps its key, session and toggles across a restart, and
// finally updates itself to a newer image of its own: one instance is left,
// on the new image, with the same data, answering on the same port.
//
// cutover watches only the containers named on its command line, so the
// other tests' containers on the shared engine are out of its reach.
func TestIntegrationImageEndToEnd(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	t.Parallel()

	name := testenv.Name(t, "cutover")
	ref := testenv.PlainRegistry + "/cutover-test/" + name + ":latest"
	v1 := makeImage(t, testenv.RepoRoot(t), ref)
	testenv.Docker(t, "push", ref)
	requireShippedImage(t, ref)

	deployRef, _, pushDeployed := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	polledRef, _, pushPolled := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	deployed := testenv.Name(t, "deployed")
	polled := testenv.Name(t, "polled")
	optedOut := testenv.Name(t, "optedout")
	testenv.RunContainer(t, deployed, "-p", "127.0.0.1::8000", deployRef)
	testenv.RunContainer(t, polled, "-p", "127.0.0.1::8000", "--label", "com.centurylinklabs.watchtower.enable=true", polledRef)
	testenv.RunContainer(t, optedOut, "--label", "com.centurylinklabs.watchtower.enable=false", polledRef)
	optedOutImage := imageOf(t, optedOut)

	volume := testenv.Name(t, "cutover-data")
	testenv.CreateVolume(t, volume)
	addr := freeAddr(t)
	base := "http://" + addr
	testenv.RunContainer(t, name,
		"-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", volume+":/data", "-p", addr+":8080",
		"-e", "TZ=Europe/Berlin", ref,
		"serve", "--http-api-update", "--schedule", "0 0 4 * * *", "--health-grace", "1s",
		name, deployed, polled, optedOut)
	relayRegistries(t, name, testenv.PlainRegistry)
	waitAnswers(t, base)

	// What a user reads first: the startup log, the key, the version.
	logs := containerLogs(t, name)
	if !regexp.MustCompile(`next=\S+T04:00:00\+0[12]:00`).MatchString(logs) {
		t.Errorf("startup log of %s with TZ=Europe/Berlin and --schedule at 4:00: want the next pass at 04:00 Berlin time (+01:00 or +02:00), got:\n%s", name, logs)
	}
	key := testenv.Docker(t, "exec", name, "/cutover", "api-key")
	if len(key) != 43 {
		t.Fatalf("docker exec %s /cutover api-key: got %q, want a 43-character key", name, key)
	}
	requireVersion(t, name, ref)

	// The deploy webhook recreates one app on the image CI names.
	pushDeployed(testenv.ImageSpec{})
	code, body := call(t, "POST", base+"/update", key, "application/json",
		`{"container":"`+deployed+`","image":"`+deployRef+`"}`)
	if want := "Container '" + deployed + "' restarted with new image '" + deployRef + "'"; code != 200 || !strings.Contains(body, want) {
		t.Fatalf("POST /update for %s: got %d %s, want 200 and %q", deployed, code, body, want)
	}
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, deployed, "8000"), "v2", 10*time.Second)

	// Watchtower's API updates the labelled app and skips the opted-out one.
	pushPolled(testenv.ImageSpec{})
	code, body = call(t, "POST", base+"/v1/update", "Bearer "+key, "", "")
	var rep v1Report
	if code != 200 || json.Unmarshal([]byte(body), &rep) != nil {
		t.Fatalf("POST /v1/update: got %d %s, want 200 and a report", code, body)
	}
	if rep.Updated != 1 || rep.Failed != 0 || outcomeOf(rep, polled) != "updated" || outcomeOf(rep, optedOut) != "" {
		t.Errorf("POST /v1/update: got %s; want 1 updated (%s), %s left out of the pass by its label, none failed", body, polled, optedOut)
	}
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, polled, "8000"), "v2", 10*time.Second)
	if got := imageOf(t, optedOut); got != optedOutImage {
		t.Errorf("container %s (enable=false): image %s, want %s still", optedOut, short(got), short(optedOutImage))
	}

	// The dashboard, logged in as a browser is, lists both and takes toggles.
	browser := login(t, base, key)
	if code, body := browse(t, browser, "POST", base+"/api/check", ""); code != 200 {
		t.Fatalf("POST /api/check: got %d %s, want 200", code, body)
	}
	gs := dashboardImages(t, browser, base)
	for _, n := range []string{deployed, polled} {
		if _, c := findContainer(t, gs, n); c.Status != "uptodate" {
			t.Errorf("dashboard: container %s is %q, want uptodate after its update", n, c.Status)
		}
	}
	if _, c := findContainer(t, gs, optedOut); c.Status != "outdated" {
		t.Errorf("dashboard: container %s is %q, want outdated (it was skipped)", optedOut, c.Status)
	}
	toggles := map[string]bool{deployed: true, polled: false}
	for n, on := range toggles {
		want := `{"auto_update":` + strconv.FormatBool(on) + `}`
		if code, body := browse(t, browser, "POST", base+"/api/images/"+n+"/auto-update", want); code != 200 || strings.TrimSpace(body) != want {
			t.Fatalf("POST /api/images/%s/auto-update %s: got %d %s, want 200 and the same", n, want, code, body)
		}
	}
	requireToggles(t, dashboardImages(t, browser, base), toggles)

	// A restart keeps the key, the session and the toggles: all in /data.
	testenv.Docker(t, "restart", name)
	relayRegistries(t, name, testenv.PlainRegistry)
	waitAnswers(t, base)
	requireSameData(t, name, base, key, browser, toggles)
	waitFor(t, "docker to report "+name+" healthy through its HEALTHCHECK", 90*time.Second, func() bool {
		return testenv.Docker(t, "inspect", "--format", "{{.State.Health.Status}}", name) == "healthy"
	})
	// autodok's compose healthcheck (curl --fail on /health), in the form
	// examples/deploy-webhook-compose.yml gives it: it runs in the image.
	testenv.Docker(t, "exec", name, "/cutover", "healthcheck", "http://localhost:8080/health")
	// A healthcheck written for Watchtower's image works as it is.
	testenv.Docker(t, "exec", name, "/watchtower", "--health-check")

	// A newer image of cutover itself: it hands its own swap over.
	oldID := containerID(t, name)
	newImageRevision(t, ref, "2")
	removeFirst(t, name)
	testenv.Docker(t, "push", ref)
	v2 := localImageID(t, ref)
	if v2 == v1 {
		t.Fatalf("image %s: the second revision has the first one's id %s", ref, short(v1))
	}
	code, body = call(t, "POST", base+"/v1/update", "Bearer "+key, "", "")
	if code != 200 || !strings.Contains(body, "handed over") {
		t.Fatalf("POST /v1/update with a newer cutover image: got %d %s, want the hand-over reported", code, body)
	}
	waitFor(t, "one "+name+" on the new image", 2*time.Minute, func() bool {
		names := namesLike(t, name)
		return slices.Equal(names, []string{name}) && imageOf(t, name) == v2 &&
			testenv.Docker(t, "inspect", "--format", "{{.State.Status}}", name) == "running"
	})
	newID := containerID(t, name)
	if newID == oldID {
		t.Fatalf("container %s: still %s, want a new container on the new image", name, short(oldID))
	}
	// The new instance reaps the hand-over container once it has ended.
	waitFor(t, "the hand-over container of "+name+" removed", 2*time.Minute, func() bool {
		return testenv.Docker(t, "ps", "-a", "-q", "--filter", "label=cutover.self-update-of="+name) == ""
	})
	relayRegistries(t, name, testenv.PlainRegistry)
	waitAnswers(t, base)
	requireSameData(t, name, base, key, browser, toggles)

	// The new instance finds itself current: no second hand-over, no loop.
	code, body = call(t, "POST", base+"/v1/update", "Bearer "+key, "", "")
	if code != 200 || json.Unmarshal([]byte(body), &rep) != nil || rep.Updated != 0 || rep.Failed != 0 || strings.Contains(body, "handed over") {
		t.Errorf("POST /v1/update on the new instance: got %d %s, want nothing to do", code, body)
	}
	if got := namesLike(t, name); !slices.Equal(got, []string{name}) || containerID(t, name) != newID {
		t.Errorf("after the new instance's pass: containers %v, want only %s, still %s", got, name, short(newID))
	}

	// A deploy aimed at cutover itself, as CI sends it: handed over too,
	// never a swap from inside.
	newImageRevision(t, ref, "3")
	removeFirst(t, name)
	testenv.Docker(t, "push", ref)
	v3 := localImageID(t, ref)
	code, body = call(t, "POST", base+"/update", key, "application/json", `{"container": "`+name+`", "image": "`+ref+`"}`)
	if code != 202 || !strings.Contains(body, "handed over") {
		t.Fatalf("POST /update naming cutover itself: got %d %s, want 202 and the hand-over", code, body)
	}
	waitFor(t, "one "+name+" on the deployed image", 2*time.Minute, func() bool {
		return slices.Equal(namesLike(t, name), []string{name}) && imageOf(t, name) == v3 &&
			testenv.Docker(t, "inspect", "--format", "{{.State.Status}}", name) == "running"
	})
	relayRegistries(t, name, testenv.PlainRegistry)
	waitAnswers(t, base)
	requireSameData(t, name, base, key, browser, toggles)
	t.Logf("image %s: %s bytes; self-update from %s to %s by /v1/update, then to %s by a deploy: one instance, same data", ref,
		testenv.Docker(t, "image", "inspect", "--format", "{{.Size}}", v1), short(v1), short(v2), short(v3))
}

// removeFirst removes the cutover container ahead of the images' cleanups
// registered so far: the newer image, built on the older one, can only go
// once no container uses it, and the older one only after it.
func removeFirst(t *testing.T, name string) {
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("docker", "logs", "--tail", "40", name).CombinedOutput()
			t.Logf("container %s, last output:\n%s", name, out)
		}
		if out, err := exec.Command("docker", "rm", "--force", "--volumes", name).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such container") {
			t.Errorf("cleanup of container %s: %v: %s", name, err, out)
		}
	})
}

// requireShippedImage checks what the image declares and carries: one layer
// holding a static binary that embeds the CA roots, OCI labels, the data
// volume, the port and a healthcheck through the binary.
func requireShippedImage(t *testing.T, ref string) {
	t.Helper()
	var img struct {
		Size   int64
		Config struct {
			Labels       map[string]string
			Env          []string
			Volumes      map[string]any
			ExposedPorts map[string]any
			Entrypoint   []string
			Healthcheck  struct{ Test []string }
		}
		RootFS struct{ Layers []string }
	}
	if err := json.Unmarshal([]byte(testenv.Docker(t, "image", "inspect", "--format", "{{json .}}", ref)), &img); err != nil {
		t.Fatalf("docker image inspect %s: %v", ref, err)
	}
	t.Logf("image %s: %d bytes", ref, img.Size)
	c := img.Config
	for _, l := range []string{"version", "revision", "source"} {
		if c.Labels["org.opencontainers.image."+l] == "" {
			t.Errorf("image %s: label org.opencontainers.image.%s missing; labels %v", ref, l, c.Labels)
		}
	}
	if want := []string{"CMD", "/cutover", "healthcheck"}; !slices.Equal(c.Healthcheck.Test, want) {
		t.Errorf("image %s: healthcheck %v, want %v", ref, c.Healthcheck.Test, want)
	}
	if _, ok := c.Volumes["/data"]; !ok || !slices.Contains(c.Env, "CUTOVER_DATA_DIR=/data") {
		t.Errorf("image %s: volumes %v, env %v; want /data as volume and data directory", ref, c.Volumes, c.Env)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("image %s: exposed ports %v, want 8080/tcp", ref, c.ExposedPorts)
	}
	if len(img.RootFS.Layers) != 1 || !slices.Equal(c.Entrypoint, []string{"/cutover"}) {
		t.Errorf("image %s: %d layers, entrypoint %v; want the binary alone, as entrypoint", ref, len(img.RootFS.Layers), c.Entrypoint)
	}

	// The binary itself, as go version -m describes it.
	box := testenv.Name(t, "cutover-box")
	t.Cleanup(func() { exec.Command("docker", "rm", "--force", box).Run() })
	testenv.Docker(t, "create", "--name", box, "--label", testenv.TestLabel, ref)
	bin := filepath.Join(t.TempDir(), "cutover")
	testenv.Docker(t, "cp", box+":/cutover", bin)
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m on the image's binary: %v\n%s", err, out)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath=true", "golang.org/x/crypto/x509roots/fallback"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the image's binary: go version -m shows no %q:\n%s", want, out)
		}
	}
}

// requireVersion checks cutover version inside the container against the
// image's labels and the engine.
func requireVersion(t *testing.T, name, ref string) {
	t.Helper()
	lines := map[string]string{}
	for _, l := range strings.Split(testenv.Docker(t, "exec", name, "/cutover", "version"), "\n") {
		k, v, _ := strings.Cut(l, " ")
		lines[k] = strings.TrimSpace(v)
	}
	labels := func(l string) string {
		return testenv.Docker(t, "image", "inspect", "--format", `{{index .Config.Labels "org.opencontainers.image.`+l+`"}}`, ref)
	}
	if lines["cutover"] != labels("version") || lines["commit"] != labels("revision") || lines["commit"] == "unknown" {
		t.Errorf("cutover version in %s: version %q, commit %q; want the image's labels %q, %q", name, lines["cutover"], lines["commit"], labels("version"), labels("revision"))
	}
	api := testenv.Docker(t, "version", "--format", "{{.Server.APIVersion}}")
	if want := "API " + api + " at unix:///var/run/docker.sock"; lines["engine"] != want || !strings.HasPrefix(lines["go"], "go1.") {
		t.Errorf("cutover version in %s: go %q, engine %q; want a Go release and %q", name, lines["go"], lines["engine"], want)
	}
}

// requireSameData checks that the cutover answering at base still has the
// key, the browser's session and the toggles it had.
func requireSameData(t *testing.T, name, base, key string, browser *http.Client, toggles map[string]bool) {
	t.Helper()
	if got := testenv.Docker(t, "exec", name, "/cutover", "api-key"); got != key {
		t.Errorf("API key of %s: got %q, want %q as before", name, got, key)
	}
	if code, _ := call(t, "GET", base+"/api/images", "Bearer "+key, "", ""); code != 200 {
		t.Errorf("GET /api/images with the key: got %d, want 200", code)
	}
	// The statuses of a fresh start come from its first check, which asks
	// the registries: wait for the containers to be listed.
	var gs []group
	waitFor(t, "the dashboard to list the containers again", time.Minute, func() bool {
		gs = dashboardImages(t, browser, base)
		for n := range toggles {
			if !listed(gs, n) {
				return false
			}
		}
		return true
	})
	requireToggles(t, gs, toggles)
}

func listed(gs []group, name string) bool {
	for _, g := range gs {
		for _, c := range g.Containers {
			if c.Name == name {
				return true
			}
		}
	}
	return false
}

func requireToggles(t *testing.T, gs []group, want map[string]bool) {
	t.Helper()
	for n, on := range want {
		if _, c := findContainer(t, gs, n); c.AutoUpdate != on {
			t.Errorf("dashboard: container %s auto_update %v, want %v", n, c.AutoUpdate, on)
		}
	}
}

// waitAnswers waits for /health to answer 200.
func waitAnswers(t *testing.T, base string) {
	t.Helper()
	waitFor(t, base+"/health to answer 200", time.Minute, func() bool {
		code, _, err := tryCall(base + "/health")
		return err == nil && code == 200
	})
}

// login signs in to the dashboard as a browser does and returns a client
// that carries the session cookie.
func login(t *testing.T, base, password string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 3 * time.Minute}
	body, err := json.Marshal(map[string]string{"user": "admin", "pass": password})
	if err != nil {
		t.Fatal(err)
	}
	if code, got := browse(t, c, "POST", base+"/api/login", string(body)); code != 200 {
		t.Fatalf("POST /api/login as admin with the API key: got %d %s, want 200", code, got)
	}
	return c
}

// browse sends a request with the browser's cookies, JSON when there is a
// body.
func browse(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}

func dashboardImages(t *testing.T, c *http.Client, base string) []group {
	t.Helper()
	code, body := browse(t, c, "GET", base+"/api/images", "")
	var gs []group
	if code != 200 || json.Unmarshal([]byte(body), &gs) != nil {
		t.Fatalf("GET /api/images with the session: got %d %s, want 200 and the list", code, body)
	}
	return gs
}

// outcomeOf is the report's result for the named container.
func outcomeOf(rep v1Report, name string) string {
	for _, c := range rep.Containers {
		if c.Name == name {
			return c.Result
		}
	}
	return ""
}

func containerLogs(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("docker", "logs", name).CombinedOutput()
	if err != nil {
		t.Fatalf("docker logs %s: %v\n%s", name, err, out)
	}
	return string(out)
}

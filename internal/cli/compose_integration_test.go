package cli_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationWatchtowerComposeDropIn runs examples/watchtower-compose.yml,
// Watchtower's HTTP API mode example with only the image swapped, under
// docker-compose, and follows the documentation's curl commands: the
// compose-managed app ends on the new image and stays compose's, and the
// updater labelled enable=false is left alone although its own image is
// stale too.
//
// The example mounts the engine's socket, and cutover watches every container
// it sees; other tests share the engine. So the one change to the example, in
// a second compose file, mounts a view of the engine that lists only this
// project's containers instead.
func TestIntegrationWatchtowerComposeDropIn(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "docker-compose")
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	root := testenv.RepoRoot(t)

	// The updater's image is in a registry so that a newer one can be
	// pushed: only its enable=false label may keep it from being updated.
	updaterRef := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "cutover") + ":dev"
	updaterImage := makeImage(t, root, updaterRef)
	testenv.Docker(t, "push", updaterRef)
	appRef, _, pushApp := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	appRepo := strings.TrimSuffix(appRef, ":latest")
	_, port, _ := net.SplitHostPort(freeAddr(t))

	project := composeProjectName(t)
	socket := engineView(t, func(l map[string]string) bool { return l["com.docker.compose.project"] == project })
	p := startCompose(t, root, project, "examples/watchtower-compose.yml", fmt.Sprintf(`services:
  app-monitored-by-watchtower:
    labels:
      - "%[2]s"
  watchtower:
    volumes:
      - %[1]s:/var/run/docker.sock
    labels:
      - "%[2]s"
`, socket, testenv.TestLabel), "CUTOVER_IMAGE="+updaterRef, "APP_IMAGE="+appRef, "HTTP_PORT="+port)
	app := p.container(t, "app-monitored-by-watchtower")
	updater := p.container(t, "watchtower")
	requireMount(t, updater, socket, "/var/run/docker.sock")
	relayRegistries(t, updater, testenv.PlainRegistry)
	waitHealthy(t, "http://127.0.0.1:"+port+"/health", p)

	appName, appID, appV1 := containerName(t, app), app, imageOf(t, app)
	composeLabels := labelsWithPrefix(t, app, "com.docker.compose.")
	if composeLabels["com.docker.compose.service"] != "app-monitored-by-watchtower" {
		t.Fatalf("container %s: compose labels %v, want service app-monitored-by-watchtower", appName, composeLabels)
	}
	pushApp(testenv.ImageSpec{})
	appV2 := localImageID(t, appRef)
	newImageRevision(t, updaterRef, "2")
	testenv.Docker(t, "push", updaterRef)

	// The documentation's ?image= example names images this project does
	// not run: nothing is touched.
	rep := curlReport(t, port, `curl -H "Authorization: Bearer mytoken" localhost:8080/v1/update?image=foo/bar,foo/baz`)
	if rep.Updated != 0 || rep.Scanned != 0 {
		t.Errorf("?image=foo/bar,foo/baz: got scanned %d, updated %d; want 0 and 0", rep.Scanned, rep.Updated)
	}
	if got := imageOf(t, app); got != appV1 {
		t.Fatalf("container %s: image %s after ?image=foo/bar,foo/baz, want %s still", appName, short(got), short(appV1))
	}

	rep = curlReport(t, port, `curl -H "Authorization: Bearer mytoken" localhost:8080/v1/update`)
	if rep.Updated != 1 || rep.Failed != 0 {
		t.Errorf("/v1/update: got updated %d, failed %d; want 1 and 0", rep.Updated, rep.Failed)
	}
	if got := imageOf(t, appName); got != appV2 {
		t.Fatalf("container %s: image %s after /v1/update, want v2 %s", appName, short(got), short(appV2))
	}
	if id := containerID(t, appName); id == appID {
		t.Errorf("container %s: still container %s, want a new one on v2", appName, short(id))
	}
	for _, o := range rep.Containers {
		if o.Name == containerName(t, updater) && o.Result != "skipped" {
			t.Errorf("report row of the updater %s: result %q (%s), want skipped by its enable label", o.Name, o.Result, o.Error)
		}
	}
	if got := containerID(t, containerName(t, updater)); got != updater {
		t.Fatalf("updater: container %s, want %s untouched (label enable=false)", short(got), short(updater))
	}
	if got := imageOf(t, updater); got != updaterImage {
		t.Errorf("updater: image %s, want %s still (label enable=false)", short(got), short(updaterImage))
	}

	pushApp(testenv.ImageSpec{Version: "v3"})
	appV3 := localImageID(t, appRef)
	rep = curlReport(t, port, `curl -H "Authorization: Bearer mytoken" localhost:8080/v1/update?image=`+appRepo+`,foo/baz`)
	if rep.Updated != 1 || rep.Scanned != 1 {
		t.Errorf("?image=%s,foo/baz: got scanned %d, updated %d; want 1 and 1", appRepo, rep.Scanned, rep.Updated)
	}
	if got := imageOf(t, appName); got != appV3 {
		t.Fatalf("container %s: image %s after ?image=%s, want v3 %s", appName, short(got), appRepo, short(appV3))
	}

	// Still compose's: same labels, same name, found by compose under its
	// service, reachable under the service name on the project network.
	if got := labelsWithPrefix(t, appName, "com.docker.compose."); !maps.Equal(got, composeLabels) {
		t.Errorf("container %s: compose labels %v, want %v", appName, got, composeLabels)
	}
	if got := p.container(t, "app-monitored-by-watchtower"); got != containerID(t, appName) {
		t.Errorf("docker-compose ps -q app-monitored-by-watchtower: got %s, want %s", short(got), short(containerID(t, appName)))
	}
	if ps := p.run(t, "ps"); !listedUp(ps, appName) {
		t.Errorf("docker-compose ps: want %s listed and up, got:\n%s", appName, ps)
	}
	aliases := testenv.Docker(t, "inspect", "--format", `{{range .NetworkSettings.Networks}}{{.Aliases}}{{end}}`, appName)
	if !strings.Contains(aliases, "app-monitored-by-watchtower") {
		t.Errorf("container %s: network aliases %s, want the service name among them", appName, aliases)
	}
	if names := namesLike(t, appName); len(names) != 1 {
		t.Errorf("containers named like %s: %v, want only it", appName, names)
	}

	// A later docker-compose up keeps the service on the image it now runs.
	p.run(t, "up", "-d", "app-monitored-by-watchtower")
	ids := strings.Fields(p.run(t, "ps", "-q", "app-monitored-by-watchtower"))
	if len(ids) != 1 || imageOf(t, ids[0]) != appV3 {
		t.Errorf("after docker-compose up -d: containers %v of the app service, want one on v3 %s", ids, short(appV3))
	}
}

// TestIntegrationComposeDeployFromCI runs compose.yml, with the config.json
// volume its comment suggests, and deploys a private image the way the
// README's "Deploy from CI" section does: the key from cutover api-key,
// autodok's curl request. As above, cutover gets a view of the engine that
// shows only the test's containers.
func TestIntegrationComposeDeployFromCI(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "docker-compose")
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	root := testenv.RepoRoot(t)

	image := testenv.Name(t, "cutover") + ":latest"
	makeImage(t, root, image)
	project := composeProjectName(t)
	appRef, _, pushApp := imagePair(t, testenv.AuthRegistry, testenv.ImageSpec{})
	appName := testenv.Name(t, "foo")
	testenv.RunContainer(t, appName, "--label", ownerLabel+"="+project, appRef)
	pushApp(testenv.ImageSpec{})
	v2 := localImageID(t, appRef)

	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(testenv.AuthUser + ":" + testenv.AuthPassword))
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"auths":{"`+testenv.AuthRegistry+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(freeAddr(t))
	socket := engineView(t, func(l map[string]string) bool {
		return l["com.docker.compose.project"] == project || l[ownerLabel] == project
	})
	p := startCompose(t, root, project, "compose.yml", fmt.Sprintf(`services:
  cutover:
    volumes:
      - %s:/var/run/docker.sock
      - %s:/config.json:ro
    labels:
      - "%s"
`, socket, cfg, testenv.TestLabel), "CUTOVER_IMAGE="+image, "CUTOVER_PORT="+port)
	requireMount(t, p.container(t, "cutover"), socket, "/var/run/docker.sock")
	relayRegistries(t, p.container(t, "cutover"), testenv.AuthRegistry)
	waitHealthy(t, "http://127.0.0.1:"+port+"/health", p)

	key := strings.TrimSpace(p.run(t, "exec", "-T", "cutover", "/cutover", "api-key"))
	if len(key) != 43 {
		t.Fatalf("cutover api-key printed %q, want a 43-character key", key)
	}
	// The README's quick start: the dashboard's login is admin with this key.
	login, _ := json.Marshal(map[string]string{"user": "admin", "pass": key})
	if code, body := call(t, http.MethodPost, "http://127.0.0.1:"+port+"/api/login", "", "application/json", string(login)); code != http.StatusOK {
		t.Fatalf("POST /api/login as admin with the key of cutover api-key: status %d (%s), want 200", code, body)
	}
	cmd := exec.Command("sh", "-c", `curl -X POST "http://localhost:`+port+`/update" \
     -H "Authorization: $API_KEY" \
     -H "content-type: application/json" \
     -d '{"container": "`+appName+`", "image": "`+appRef+`"}'`)
	cmd.Env = append(os.Environ(), "API_KEY="+key)
	out, err := cmd.Output()
	want := fmt.Sprintf("Container '%s' restarted with new image '%s'", appName, appRef)
	if err != nil || !strings.Contains(string(out), want) {
		t.Fatalf("POST /update: got %s (%v), want the message %q", out, err, want)
	}
	if got := imageOf(t, appName); got != v2 {
		t.Errorf("container %s: image %s after the deploy, want v2 %s", appName, short(got), short(v2))
	}

	// The key lives in the data volume: a new cutover container keeps it.
	p.run(t, "up", "-d", "--force-recreate")
	if again := strings.TrimSpace(p.run(t, "exec", "-T", "cutover", "/cutover", "api-key")); again != key {
		t.Errorf("API key after recreating cutover: got %q, want %q", again, key)
	}
}

// ownerLabel marks a container made outside a compose project as the test's,
// for engineView; its value is the project's name.
const ownerLabel = "cutover.test.owner"

// composeProjectName returns a project name unique to the test. Compose 1.x
// drops hyphens from project names, so there are none.
func composeProjectName(t *testing.T) string {
	return strings.ReplaceAll(testenv.Name(t, "compose"), "-", "")
}

// requireMount fails the test unless the container has source mounted at
// target: the second compose file must have replaced the example's mount.
func requireMount(t *testing.T, container, source, target string) {
	t.Helper()
	got := testenv.Docker(t, "inspect", "--format", `{{range .Mounts}}{{if eq .Destination "`+target+`"}}{{.Source}}{{end}}{{end}}`, container)
	if got != source {
		t.Fatalf("container %s: %s mounted from %q, want %q", container, target, got, source)
	}
}

// composeProject is one docker-compose project a test started.
type composeProject struct {
	name  string
	files []string
	env   []string
	dir   string
	// command runs Compose: docker-compose (1.x) when empty, else for
	// instance docker compose (the v2 plugin).
	command []string
}

// startCompose runs docker-compose up -d on the repository's file plus an
// override written for the test, in a project of its own, and takes the
// project down with its volumes when the test ends.
func startCompose(t *testing.T, root, name, file, override string, env ...string) *composeProject {
	t.Helper()
	extra := filepath.Join(t.TempDir(), "compose.override.yml")
	if err := os.WriteFile(extra, []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &composeProject{
		name:  name,
		files: []string{filepath.Join(root, file), extra},
		env:   env,
		dir:   root,
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := p.exec("logs", "--no-color", "--tail", "60")
			t.Logf("docker-compose logs of project %s:\n%s", p.name, logs)
		}
		if out, err := p.exec("down", "--volumes", "--remove-orphans", "--timeout", "5"); err != nil {
			t.Errorf("docker-compose down: %v\n%s", err, out)
		}
	})
	p.run(t, "up", "-d")
	return p
}

// exec runs docker-compose on the project and returns its combined output.
func (p *composeProject) exec(args ...string) (string, error) {
	full := []string{"--project-name", p.name, "--project-directory", p.dir}
	for _, f := range p.files {
		full = append(full, "--file", f)
	}
	command := p.command
	if len(command) == 0 {
		command = []string{"docker-compose"}
	}
	cmd := exec.Command(command[0], append(append(command[1:len(command):len(command)], full...), args...)...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), p.env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		<-done
		return out.String(), errors.New("docker-compose " + strings.Join(args, " ") + ": no answer within 5m")
	}
}

// run is exec that fails the test when docker-compose does.
func (p *composeProject) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := p.exec(args...)
	if err != nil {
		t.Fatalf("docker-compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// container returns the id of the service's one container.
func (p *composeProject) container(t *testing.T, service string) string {
	t.Helper()
	ids := strings.Fields(p.run(t, "ps", "-q", service))
	if len(ids) != 1 {
		t.Fatalf("docker-compose ps -q %s: got %v, want one container", service, ids)
	}
	return ids[0]
}

// makeImage builds cutover's image with make image, tagged ref, and returns
// its id. The image is removed when the test ends.
func makeImage(t *testing.T, root, ref string) string {
	t.Helper()
	// A label naming ref makes the image this test's own: built from the
	// same binary, two tests' images would otherwise be one image, and a
	// revision one test builds on it would block the other's removal.
	cmd := exec.Command("make", "--no-print-directory", "-C", root, "image", "IMAGE="+ref, "BUILD_FLAGS=--quiet --label "+testenv.TestLabel+" --label cutover.test.image="+ref)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make image IMAGE=%s: %v\n%s", ref, err, out)
	}
	return imageRemovedAtEnd(t, ref)
}

// newImageRevision gives ref a new image that differs from the current one by
// a label only, so that it has a new digest. The new image is removed when
// the test ends, before the one it was made from.
func newImageRevision(t *testing.T, ref, revision string) {
	t.Helper()
	cmd := exec.Command("docker", "build", "--quiet", "--label", "cutover.test.revision="+revision, "--tag", ref, "-")
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	cmd.Stdin = strings.NewReader("FROM " + ref + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("revision %s of %s: %v\n%s", revision, ref, err, out)
	}
	imageRemovedAtEnd(t, ref)
}

// imageRemovedAtEnd returns the id of the image ref names now, and removes
// that image when the test ends.
func imageRemovedAtEnd(t *testing.T, ref string) string {
	t.Helper()
	id := localImageID(t, ref)
	t.Cleanup(func() {
		out, err := exec.Command("docker", "image", "rm", "--force", id).CombinedOutput()
		switch {
		case err == nil, strings.Contains(string(out), "No such image"):
		case strings.Contains(string(out), "being used by running container"):
			// A cleanup registered earlier, which runs later, removes the
			// project's containers; the image is left to the engine's prune.
			t.Logf("image %s (%s) still in use at cleanup: %s", ref, short(id), out)
		default:
			t.Errorf("cleanup of image %s (%s): %v: %s", ref, short(id), err, out)
		}
	})
	return id
}

// relayRegistries makes each registry address of the host's loopback answer
// at the same address inside the container, as a registry on another machine
// would for the engine and the container alike. Only the test process can do
// it: it opens the listeners inside the container's network namespace
// (which takes root) and forwards from the host's.
func relayRegistries(t *testing.T, container string, addrs ...string) {
	t.Helper()
	pid := testenv.Docker(t, "inspect", "--format", "{{.State.Pid}}", container)
	ls, err := listenInNetns(pid, addrs)
	if err != nil {
		reason := "cannot reach the registries from inside a container: " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(reason)
		}
		t.Skip(reason)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	for i, l := range ls {
		target := addrs[i]
		wg.Go(func() {
			for {
				in, err := l.Accept()
				if err != nil {
					return
				}
				out, err := net.Dial("tcp", target)
				if err != nil {
					in.Close()
					continue
				}
				track(in)
				track(out)
				wg.Go(func() { io.Copy(out, in); out.(*net.TCPConn).CloseWrite() })
				wg.Go(func() { io.Copy(in, out); in.(*net.TCPConn).CloseWrite() })
			}
		})
	}
	t.Cleanup(func() {
		for _, l := range ls {
			l.Close()
		}
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}

// waitHealthy waits for cutover's /health to answer 200.
func waitHealthy(t *testing.T, url string, p *composeProject) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		body, err := testenv.HTTPGet(t, url)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			logs, _ := p.exec("logs", "--no-color", "--tail", "30")
			t.Fatalf("GET %s: %v %s, want 200 within 60s; logs:\n%s", url, err, body, logs)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// v1Report is the JSON report /v1/update answers with.
type v1Report struct {
	Scanned, Updated, Failed, Skipped int
	Containers                        []struct{ Name, Result, Error string }
}

// curlReport runs a curl command line from the documentation, with its port
// 8080 replaced by port, and decodes the report it prints.
func curlReport(t *testing.T, port, line string) v1Report {
	t.Helper()
	line = strings.Replace(line, "localhost:8080", "localhost:"+port, 1)
	cmd := exec.Command("sh", "-c", line)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var rep v1Report
	if err == nil {
		err = json.Unmarshal(out, &rep)
	}
	if err != nil {
		t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", line, err, out, stderr.String())
	}
	t.Logf("%s\n%s", line, out)
	return rep
}

// listedUp tells whether docker-compose ps output shows the container up.
func listedUp(ps, name string) bool {
	for _, line := range strings.Split(ps, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == name && slices.Contains(f, "Up") {
			return true
		}
	}
	return false
}

func containerName(t *testing.T, id string) string {
	return strings.TrimPrefix(testenv.Docker(t, "inspect", "--format", "{{.Name}}", id), "/")
}

func localImageID(t *testing.T, ref string) string {
	return testenv.Docker(t, "image", "inspect", "--format", "{{.Id}}", ref)
}

// labelsWithPrefix returns the container's labels whose key has the prefix.
func labelsWithPrefix(t *testing.T, container, prefix string) map[string]string {
	t.Helper()
	var all map[string]string
	out := testenv.Docker(t, "inspect", "--format", "{{json .Config.Labels}}", container)
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatalf("labels of %s: %v", container, err)
	}
	got := map[string]string{}
	for k, v := range all {
		if strings.HasPrefix(k, prefix) {
			got[k] = v
		}
	}
	return got
}

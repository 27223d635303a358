package cli_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// deployEnv is a running cutover serve and its API key.
type deployEnv struct {
	d   *daemon
	key string
	dir string
}

func startDeploy(t *testing.T) deployEnv {
	t.Helper()
	dir := t.TempDir()
	// Watching only a container that does not exist, passes and recovery
	// touch nothing on the shared engine; deploys name their containers
	// themselves, so the names watched do not limit them (a scope would).
	d := startServe(t, dir, testenv.Name(t, "watch-none"))
	key, err := os.ReadFile(filepath.Join(dir, "api_key"))
	if err != nil {
		t.Fatalf("api key file: %v", err)
	}
	return deployEnv{d: d, key: strings.TrimSpace(string(key)), dir: dir}
}

func (e deployEnv) post(t *testing.T, body string) (int, map[string]any) {
	t.Helper()
	code, raw := call(t, "POST", "http://"+e.d.addr+"/update", e.key, "application/json", body)
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("POST /update %s: %d, body is not JSON: %q", body, code, raw)
	}
	return code, out
}

// TestIntegrationDeployAutodokExample runs autodok's README example verbatim
// with curl: container foo, image foo:latest.
func TestIntegrationDeployAutodokExample(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireTool(t, "curl")
	t.Parallel()
	ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	// autodok's example names the container foo and the image foo:latest;
	// names here are unique per test, so the example's shape is kept with
	// them substituted.
	name := testenv.Name(t, "foo")
	testenv.RunContainer(t, name, "-p", "127.0.0.1::8000", ref)
	pushV2(testenv.ImageSpec{})
	env := startDeploy(t)

	out, err := exec.Command("curl", "-sS", "-X", "POST", "http://"+env.d.addr+"/update",
		"-H", "Authorization: "+env.key,
		"-H", "content-type: application/json",
		"-d", fmt.Sprintf(`{"container": "%s", "image": "%s"}`, name, ref)).CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v: %s", err, out)
	}
	var resp map[string]any
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("answer is not JSON: %s", out)
	}
	if want := fmt.Sprintf("Container '%s' restarted with new image '%s'", name, ref); resp["message"] != want {
		t.Errorf("message: got %v, want %q", resp["message"], want)
	}
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/", "v2", 20*time.Second)

	// The same image again: answered, not restarted.
	id := containerID(t, name)
	code, again := env.post(t, fmt.Sprintf(`{"container":"%s","image":"%s"}`, name, ref))
	if code != 200 || !strings.Contains(fmt.Sprint(again["message"]), "already runs") || containerID(t, name) != id {
		t.Errorf("same image again: got %d %v, want 200 'already runs' and no restart", code, again)
	}
	code, forced := env.post(t, fmt.Sprintf(`{"container":"%s","image":"%s","force":true}`, name, ref))
	if code != 200 || containerID(t, name) == id {
		t.Errorf("forced: got %d %v, want the container recreated", code, forced)
	}
}

// TestIntegrationDeployTagAndRepositoryChange moves a container to another
// tag, then to another repository.
func TestIntegrationDeployTagAndRepositoryChange(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "tags")
	one, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "1", Version: "one"})
	two, d2 := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "2", Version: "two"})
	other, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "other"), Tag: "7", Version: "other"})
	name := testenv.Name(t, "deploy")
	testenv.RunContainer(t, name, "-p", "127.0.0.1::8000", "-e", "KEEP=me", one)
	env := startDeploy(t)

	code, resp := env.post(t, fmt.Sprintf(`{"container":"%s","image":"%s"}`, name, two))
	if code != 200 || resp["new_digest"] != d2 || resp["container"] != name {
		t.Fatalf("deploy of tag 2: got %d %v, want 200 with new_digest %s", code, resp, d2)
	}
	addr := testenv.PublishedPort(t, name, "8000")
	testenv.WaitHTTP(t, "http://"+addr+"/", "two", 20*time.Second)
	if v, _ := testenv.HTTPGet(t, "http://"+addr+"/env?name=KEEP"); v != "me" {
		t.Errorf("env KEEP after deploy: got %q, want me", v)
	}
	if code, resp := env.post(t, fmt.Sprintf(`{"container":"%s","image":"%s"}`, name, other)); code != 200 {
		t.Fatalf("deploy of another repository: got %d %v", code, resp)
	}
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/", "other", 20*time.Second)
	if got := testenv.Docker(t, "inspect", "--format", "{{.Config.Image}}", name); got != other {
		t.Errorf("image of %s: got %s, want %s", name, got, other)
	}
}

// TestIntegrationDeployErrorsTouchNothing sends every bad request and checks
// the container is as it was.
func TestIntegrationDeployErrorsTouchNothing(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	ref, _, _ := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	name := testenv.Name(t, "errs")
	testenv.RunContainer(t, name, ref)
	stopped := testenv.Name(t, "stopped")
	testenv.RunContainer(t, stopped, ref)
	testenv.Docker(t, "stop", stopped)
	id := containerID(t, name)
	env := startDeploy(t)
	missing := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "nosuch") + ":1"

	for _, tc := range []struct {
		name, auth, contentType, body string
		want                          int
		contains                      string
	}{
		{"no key", "", "application/json", `{"container":"` + name + `","image":"` + ref + `"}`, 401, `"error"`},
		{"wrong key", "Bearer nope", "application/json", `{"container":"` + name + `","image":"` + ref + `"}`, 401, `"error"`},
		{"not found", env.key, "application/json", `{"container":"ghost-container","image":"` + ref + `"}`, 404, `container 'ghost-container' not found`},
		{"not running", env.key, "application/json", `{"container":"` + stopped + `","image":"` + ref + `"}`, 404, `container '` + stopped + `' is not running`},
		{"bad reference", env.key, "application/json", `{"container":"` + name + `","image":"UPPER::case"}`, 400, `invalid image reference`},
		{"no such image", env.key, "application/json", `{"container":"` + name + `","image":"` + missing + `"}`, 502, `manifest unknown`},
		{"wrong content type", env.key, "text/plain", `{}`, 400, `wrong Content-Type`},
		{"malformed", env.key, "application/json", `{"container"`, 400, `malformed JSON`},
		{"unknown field", env.key, "application/json", `{"container":"` + name + `","image":"` + ref + `","x":1}`, 400, `unknown field \"x\"`},
		{"missing field", env.key, "application/json", `{"image":"` + ref + `"}`, 400, `missing field \"container\"`},
		{"oversized", env.key, "application/json", `{"container":"` + strings.Repeat("x", 70000) + `"}`, 400, `too large`},
	} {
		code, body := call(t, "POST", "http://"+env.d.addr+"/update", tc.auth, tc.contentType, tc.body)
		if code != tc.want || !strings.Contains(body, tc.contains) {
			t.Errorf("%s: got %d %s, want %d containing %q", tc.name, code, body, tc.want, tc.contains)
		}
		if got := containerID(t, name); got != id {
			t.Fatalf("%s changed the container: id %s, want %s", tc.name, got, id)
		}
	}
}

// TestIntegrationDeployPrivateAndRollback deploys a private image with
// credentials from config.json and from the body, and rolls back a broken one.
func TestIntegrationDeployPrivateAndRollback(t *testing.T) {
	testenv.RequireEngine(t)
	ref, _, pushV2 := imagePair(t, testenv.AuthRegistry, testenv.ImageSpec{})
	name := testenv.Name(t, "priv")
	testenv.RunContainer(t, name, "-p", "127.0.0.1::8000", ref)
	pushV2(testenv.ImageSpec{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	env := startDeploy(t)

	body := fmt.Sprintf(`{"container":"%s","image":"%s"}`, name, ref)
	if code, resp := env.post(t, body); code != 502 || !strings.Contains(fmt.Sprint(resp["error"]), "no basic auth credentials") && !strings.Contains(fmt.Sprint(resp["error"]), "unauthorized") {
		t.Errorf("private image without credentials: got %d %v, want 502 with the registry's reason", code, resp)
	}
	withCreds := fmt.Sprintf(`{"container":"%s","image":"%s","registry":{"serveraddress":"%s","username":"%s","password":"%s"}}`,
		name, ref, testenv.AuthRegistry, testenv.AuthUser, testenv.AuthPassword)
	if code, resp := env.post(t, withCreds); code != 200 {
		t.Fatalf("private image with credentials in the body: got %d %v", code, resp)
	}
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/", "v2", 20*time.Second)

	// config.json credentials, read at pull time.
	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(testenv.AuthUser + ":" + testenv.AuthPassword))
	os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{"`+testenv.AuthRegistry+`":{"auth":"`+auth+`"}}}`), 0o600)
	t.Setenv("DOCKER_CONFIG", cfg)
	repo := strings.TrimSuffix(ref, ":latest")
	broken, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "broken", Version: "broken", Mode: "crash"})
	id := containerID(t, name)
	code, resp := env.post(t, fmt.Sprintf(`{"container":"%s","image":"%s"}`, name, broken))
	if code != 500 || resp["rolled_back"] != true {
		t.Errorf("broken image: got %d %v, want 500 with rolled_back true", code, resp)
	}
	if containerID(t, name) != id {
		t.Errorf("after rollback %s is not the old container", name)
	}
	testenv.WaitHTTP(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/", "v2", 20*time.Second)
}

// TestIntegrationDeployAsyncAndConcurrent follows an async job to its end,
// then sends a burst of requests for one container, each of which is
// answered, then queues requests in a known order: the container ends on
// the image asked last, and exists once.
func TestIntegrationDeployAsyncAndConcurrent(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "burst")
	tags := []string{"a", "b", "c"}
	refs := map[string]string{}
	for _, tag := range tags {
		refs[tag], _ = testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: tag, Version: tag})
	}
	name := testenv.Name(t, "burst")
	testenv.RunContainer(t, name, "-p", "127.0.0.1::8000", refs["a"])
	env := startDeploy(t)

	code, raw := call(t, "POST", "http://"+env.d.addr+"/update?wait=false", "Bearer "+env.key, "application/json", fmt.Sprintf(`{"container":"%s","image":"%s"}`, name, refs["b"]))
	var accepted struct {
		ID        string `json:"id"`
		StatusURL string `json:"status_url"`
	}
	json.Unmarshal([]byte(raw), &accepted)
	if code != 202 || accepted.StatusURL != "/update/"+accepted.ID {
		t.Fatalf("async deploy: got %d %s", code, raw)
	}
	var states []string
	waitFor(t, "the async job to finish", 60*time.Second, func() bool {
		_, s := call(t, "GET", "http://"+env.d.addr+accepted.StatusURL, env.key, "", "")
		var job struct{ State string }
		json.Unmarshal([]byte(s), &job)
		if len(states) == 0 || states[len(states)-1] != job.State {
			states = append(states, job.State)
		}
		return job.State == "done" || job.State == "failed" || job.State == "rolled_back"
	})
	if states[len(states)-1] != "done" {
		t.Fatalf("async job states: %v, want it to end done", states)
	}

	// A burst of waiting requests in no particular order: each is answered.
	const burst = 12
	var wg sync.WaitGroup
	codes := make([]int, burst)
	for i := range burst {
		ref := refs[tags[i%len(tags)]]
		wg.Go(func() {
			codes[i], _ = call(t, "POST", "http://"+env.d.addr+"/update", env.key, "application/json", fmt.Sprintf(`{"container":"%s","image":"%s"}`, name, ref))
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d of the burst: got %d, want 200", i, c)
		}
	}

	// Requests queued in a known order, each accepted before the next is
	// sent: the container ends on the image asked last.
	var jobs []string
	var last string
	for i := range 6 {
		last = refs[tags[i%len(tags)]]
		code, raw := call(t, "POST", "http://"+env.d.addr+"/update?wait=false", "Bearer "+env.key, "application/json", fmt.Sprintf(`{"container":"%s","image":"%s"}`, name, last))
		var job struct {
			StatusURL string `json:"status_url"`
		}
		json.Unmarshal([]byte(raw), &job)
		if code != 202 || job.StatusURL == "" {
			t.Fatalf("queued request %d: got %d %s, want 202 with a status URL", i, code, raw)
		}
		jobs = append(jobs, job.StatusURL)
	}
	for _, u := range jobs {
		waitFor(t, "queued job "+u+" to finish", 2*time.Minute, func() bool {
			_, s := call(t, "GET", "http://"+env.d.addr+u, env.key, "", "")
			var job struct{ State string }
			json.Unmarshal([]byte(s), &job)
			return job.State == "done" || job.State == "failed" || job.State == "rolled_back"
		})
	}
	if got := testenv.Docker(t, "inspect", "--format", "{{.Config.Image}}", name); got != last {
		t.Errorf("image after the queued requests: got %s, want the last one asked, %s", got, last)
	}
	if got := namesLike(t, name); len(got) != 1 {
		t.Errorf("containers named like %s after the burst: %v, want exactly one", name, got)
	}
}

// TestIntegrationAPIKeyFile checks the key file's mode and that the key
// survives a restart and is printed by cutover api-key.
func TestIntegrationAPIKeyFile(t *testing.T) {
	testenv.RequireEngine(t)
	dir := t.TempDir()
	d := startServe(t, dir, "--scope", testenv.Name(t, "noscope"))
	info, err := os.Stat(filepath.Join(dir, "api_key"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("api_key mode: got %o, want 600", info.Mode().Perm())
	}
	key, _ := os.ReadFile(filepath.Join(dir, "api_key"))
	if !strings.Contains(d.logs.String(), strings.TrimSpace(string(key))) {
		t.Errorf("first start did not show the new key in its log")
	}
	d.stop(t)
	d2 := startServe(t, dir, "--scope", testenv.Name(t, "noscope"))
	again, _ := os.ReadFile(filepath.Join(dir, "api_key"))
	if string(again) != string(key) {
		t.Errorf("the key changed across a restart")
	}
	if strings.Contains(d2.logs.String(), strings.TrimSpace(string(key))) || !strings.Contains(d2.logs.String(), string(key[:6])) {
		t.Errorf("second start must log only the key's first 6 characters:\n%s", d2.logs.String())
	}
	r := cutover(t, "--data-dir", dir, "api-key")
	if strings.TrimSpace(r.stdout) != strings.TrimSpace(string(key)) {
		t.Errorf("cutover api-key printed %q, want the key", r.stdout)
	}
}

package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationKeyScopesAndDeployAdmission runs a Watchtower setup (the
// token from WATCHTOWER_HTTP_API_TOKEN, a scope) on the real engine and
// checks what each key unlocks and what the deploy webhook may do: the
// Watchtower token works on /v1/* and nowhere else; cutover's API key works
// on /update and the dashboard and not on /v1/*; deploys to containers
// labelled enable=false or monitor-only, out of scope, or of an image
// --deploy-allow does not name are refused with 403 and change nothing;
// deploys by digest, with and without a tag, go through.
func TestIntegrationKeyScopesAndDeployAdmission(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	scope := testenv.Name(t, "scope")
	repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "scoped")
	v1, d1 := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "1", Version: "v1"})
	_, d2 := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Tag: "2", Version: "v2"})
	run := func(prefix string, labels ...string) string {
		name := testenv.Name(t, prefix)
		args := []string{}
		for _, l := range labels {
			args = append(args, "--label", l)
		}
		testenv.RunContainer(t, name, append(args, v1)...)
		return name
	}
	inScope := "com.centurylinklabs.watchtower.scope=" + scope
	web := run("web", inScope)
	off := run("off", inScope, "com.centurylinklabs.watchtower.enable=false")
	mon := run("mon", inScope, "cutover.monitor-only=true")
	other := run("other", "com.centurylinklabs.watchtower.scope="+scope+"-other")
	images := map[string]string{}
	for _, n := range []string{web, off, mon, other} {
		images[n] = imageOf(t, n)
	}

	t.Setenv("WATCHTOWER_HTTP_API_TOKEN", "mytoken")
	t.Setenv("WATCHTOWER_SCOPE", scope)
	dir := t.TempDir()
	d := startServe(t, dir, "--http-api-update", "--http-api-metrics", "--deploy-allow", repo)
	raw, err := os.ReadFile(filepath.Join(dir, "api_key"))
	if err != nil {
		t.Fatalf("the API key file: %v", err)
	}
	key := strings.TrimSpace(string(raw))
	if key == "mytoken" || len(key) != 43 {
		t.Fatalf("the API key: got %q, want a generated key apart from the Watchtower token", key)
	}
	base := "http://" + d.addr
	deploy := func(auth, container, image string) (int, map[string]any) {
		t.Helper()
		code, body := call(t, "POST", base+"/update", auth, "application/json", fmt.Sprintf(`{"container":"%s","image":"%s"}`, container, image))
		var out map[string]any
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("POST /update %s on %s: %d, body is not JSON: %q", container, image, code, body)
		}
		return code, out
	}
	unchanged := func(what string) {
		t.Helper()
		for n, img := range images {
			if got := imageOf(t, n); got != img {
				t.Errorf("after %s: container %s runs %s, want it unchanged (%s)", what, n, got, img)
			}
		}
	}

	// The Watchtower token: /v1/* only.
	if code, body := call(t, "GET", base+"/v1/update?image="+repo, "Bearer mytoken", "", ""); code != 200 || !strings.Contains(body, `"trigger":"api"`) {
		t.Errorf("GET /v1/update with the Watchtower token: got %d %s, want 200 and a report", code, body)
	}
	if code, body := call(t, "GET", base+"/v1/metrics", "Bearer mytoken", "", ""); code != 200 || !strings.Contains(body, "process_resident_memory_bytes") {
		t.Errorf("GET /v1/metrics with the Watchtower token: got %d, want 200 with the process collector", code)
	}
	code, out := deploy("mytoken", web, repo+":2")
	if want := "the Watchtower API token (--http-api-token) unlocks /v1/* only"; code != 403 || !strings.Contains(fmt.Sprint(out["error"]), want) || out["message"] != out["error"] {
		t.Errorf("POST /update with the Watchtower token: got %d %v, want 403 saying %q in error and message", code, out, want)
	}
	if code, body := call(t, "GET", base+"/api/images", "Bearer mytoken", "", ""); code != 403 || !strings.Contains(body, "unlocks /v1/* only") {
		t.Errorf("GET /api/images with the Watchtower token: got %d %q, want 403", code, body)
	}
	if code, body := call(t, "POST", base+"/api/images/"+web+"/update", "Bearer mytoken", "", ""); code != 403 {
		t.Errorf("POST /api/images/%s/update with the Watchtower token: got %d %q, want 403", web, code, body)
	}
	// cutover's key: not /v1/*.
	if code, body := call(t, "POST", base+"/v1/update", "Bearer "+key, "", ""); code != 403 || !strings.Contains(body, "/v1/* takes the Watchtower API token") {
		t.Errorf("POST /v1/update with the API key: got %d %s, want 403", code, body)
	}
	unchanged("requests with the wrong key")

	// The deploy webhook's admission, with the right key.
	for _, tc := range []struct{ container, image, want string }{
		{off, repo + ":2", "is labelled com.centurylinklabs.watchtower.enable=false: cutover leaves it alone"},
		{mon, repo + ":2", "is labelled cutover.monitor-only=true: cutover only checks it"},
		{other, repo + ":2", fmt.Sprintf("is not in this cutover's scope: --scope is %q and its scope label is %q", scope, scope+"-other")},
		{web, testenv.PlainRegistry + "/cutover-test/elsewhere:1", "is not allowed by --deploy-allow (allowed: " + repo + ")"},
	} {
		code, out := deploy(key, tc.container, tc.image)
		if code != 403 || !strings.Contains(fmt.Sprint(out["error"]), tc.want) || out["message"] != out["error"] {
			t.Errorf("POST /update %s on %s: got %d %v, want 403 saying %q in error and message", tc.container, tc.image, code, out, tc.want)
		}
	}
	unchanged("refused deploys")
	// Asynchronous, the refusal is the job's result.
	code, body := call(t, "POST", base+"/update?wait=false", key, "application/json", fmt.Sprintf(`{"container":"%s","image":"%s:2"}`, off, repo))
	var job struct{ ID string }
	if err := json.Unmarshal([]byte(body), &job); code != 202 || err != nil {
		t.Fatalf("POST /update?wait=false: got %d %s, want 202 and a job", code, body)
	}
	waitFor(t, "the refused job to end", 30*time.Second, func() bool {
		_, body := call(t, "GET", base+"/update/"+job.ID, key, "", "")
		return strings.Contains(body, `"state":"failed"`) && strings.Contains(body, `"http_status":403`) && strings.Contains(body, "cutover leaves it alone")
	})
	unchanged("a refused asynchronous deploy")

	// Deploys by digest, as autodok took them.
	for _, tc := range []struct{ image, digest string }{
		{repo + "@" + d2, d2},
		{repo + ":1@" + d1, d1},
	} {
		code, out := deploy(key, web, tc.image)
		if want := fmt.Sprintf("Container '%s' restarted with new image '%s'", web, tc.image); code != 200 || out["message"] != want || out["new_digest"] != tc.digest {
			t.Fatalf("POST /update %s on %s: got %d %v, want 200 %q with new_digest %s", web, tc.image, code, out, want, tc.digest)
		}
		if got := testenv.Docker(t, "inspect", "--format", "{{.Config.Image}}", web); got != tc.image {
			t.Errorf("after the deploy of %s: %s runs %s, want exactly that reference", tc.image, web, got)
		}
	}
	// A check follows a pinned container through its tag: repo:1 still
	// points at d1.
	_, c := findContainer(t, checkJSON(t, web), web)
	if c.Status != "uptodate" || !c.Pinned || c.LocalDigest != short(d1) || c.OfferedReference != "" {
		t.Errorf("cutover check %s, pinned to %s: got %+v, want up to date and pinned", web, d1, c)
	}
}

// With --monitor-only, the deploy webhook changes nothing either.
func TestIntegrationDeployMonitorOnly(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	name := testenv.Name(t, "mon")
	testenv.RunContainer(t, name, ref)
	pushV2(testenv.ImageSpec{})
	before := imageOf(t, name)
	dir := t.TempDir()
	d := startServe(t, dir, "--monitor-only", testenv.Name(t, "watch-none"))
	raw, err := os.ReadFile(filepath.Join(dir, "api_key"))
	if err != nil {
		t.Fatal(err)
	}
	code, body := call(t, "POST", "http://"+d.addr+"/update", strings.TrimSpace(string(raw)), "application/json", fmt.Sprintf(`{"container":"%s","image":"%s"}`, name, ref))
	if want := "cutover runs with --monitor-only: it changes no container, deploys included"; code != 403 || !strings.Contains(body, want) {
		t.Errorf("POST /update under --monitor-only: got %d %s, want 403 saying %q", code, body, want)
	}
	if imageOf(t, name) != before {
		t.Errorf("%s was recreated under --monitor-only", name)
	}
}

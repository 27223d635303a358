package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cli"
	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationDashboardAPI runs the dashboard API of a real cutover
// against the engine and a registry: the examples and errors, a group update
// of three containers with its progress, toggles that survive recreation and
// restarts, and the login.
func TestIntegrationDashboardAPI(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)

	repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "api")
	v1, d1 := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Version: "v1", ExtraLayers: 4})
	names := []string{testenv.Name(t, "api-a"), testenv.Name(t, "api-b"), testenv.Name(t, "api-c")}
	slices.Sort(names)
	oldIDs := map[string]string{}
	for _, n := range names {
		oldIDs[n] = testenv.RunContainer(t, n, v1)
	}
	ref, d2 := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Version: "v2", ExtraLayers: 4})
	testenv.RemoveImageLocal(t, ref) // the update must pull
	t.Cleanup(func() {
		for _, n := range names {
			if out, err := exec.Command("docker", "rm", "--force", "--volumes", n).CombinedOutput(); err != nil && !bytes.Contains(out, []byte("No such container")) {
				t.Errorf("remove container %s: %v: %s", n, err, out)
			}
		}
	})

	dataDir := t.TempDir()
	srv := startCutover(t, dataDir, append([]string{"--ui-password", "pw"}, names...)...)
	key := srv.key(t)
	machine := map[string]string{"Authorization": "Bearer " + key}

	// The list, as the example shows it.
	groups := waitImages(t, srv, machine, func(gs []groupJSON) bool { return len(gs) == 1 && len(gs[0].Containers) == 3 })
	var want []containerJSON
	for _, n := range names {
		want = append(want, containerJSON{ID: oldIDs[n][:12], Name: n, LocalDigest: d1[:17], Status: "outdated"})
	}
	if g := groups[0]; g.Image != v1 || g.RemoteDigest != d2[:17] || g.Status != "outdated" || !slices.Equal(g.Containers, want) {
		t.Fatalf("GET /api/images: got %+v, want %s remote %s outdated with %+v", g, v1, d2[:17], want)
	}

	first := oldIDs[names[0]][:12]
	for _, tt := range []struct {
		method, path string
		header       map[string]string
		status       int
		body         string
	}{
		{"GET", "/api/images/" + first + "/progress", machine, 404, "no progress\n"},
		{"GET", "/api/images/" + first, machine, 400, "bad path: /api/images/{id}/{action}\n"},
		{"POST", "/api/images/" + first + "/reboot", machine, 400, "unknown action\n"},
		{"POST", "/api/images/000000000000/update", machine, 404, "container not found\n"},
		{"DELETE", "/api/images/" + first + "/update", machine, 405, "method not allowed\n"},
		{"GET", "/api/images", nil, 401, "unauthorized\n"},
		{"GET", "/api/auth/status", nil, 200, `{"enabled":true}` + "\n"},
		{"GET", "/health", nil, 200, ""},
		{"POST", "/api/images/" + names[0] + "/auto-update", machine, 200, `{"auto_update":true}` + "\n"},
	} {
		if r := srv.do(t, tt.method, tt.path, "", tt.header); r.status != tt.status || r.body != tt.body {
			t.Errorf("%s %s: got %d %q, want %d %q", tt.method, tt.path, r.status, r.body, tt.status, tt.body)
		}
	}

	// The group update, by the escaped path form, followed through the
	// progress of the first container under the id it had.
	escaped := strings.NewReplacer(":", "%3A", "/", "%2F").Replace(v1)
	if r := srv.do(t, "POST", "/api/groups/"+escaped+"/update", "", machine); r.status != 200 || r.body != `{"status":"updating"}`+"\n" {
		t.Fatalf("group update: got %d %q, want 200 updating", r.status, r.body)
	}
	var states []string
	deadline := time.Now().Add(3 * time.Minute)
	for {
		r := srv.do(t, "GET", "/api/images/"+first+"/progress", "", machine)
		var p struct{ Status string }
		if r.status == 200 {
			_ = json.Unmarshal([]byte(r.body), &p)
			if len(states) == 0 || states[len(states)-1] != p.Status {
				states = append(states, p.Status)
			}
		}
		if p.Status == "done" {
			break
		}
		if strings.HasPrefix(p.Status, "error:") || p.Status == "rolled back" || time.Now().After(deadline) {
			t.Fatalf("progress of %s: states %q, want it to reach done", names[0], states)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("progress states of %s: %q", names[0], states)
	if len(states) < 3 {
		t.Errorf("progress of %s: saw states %q, want at least two before done", names[0], states)
	}

	// Right after "done" the list is current: new ids, up to date, and the
	// toggle kept by name across the recreation.
	groups = waitImages(t, srv, machine, func(gs []groupJSON) bool {
		return len(gs) == 1 && len(gs[0].Containers) == 3 && gs[0].Status == "uptodate"
	})
	for i, c := range groups[0].Containers {
		if c.ID == oldIDs[c.Name][:12] || c.LocalDigest != d2[:17] || c.AutoUpdate != (i == 0) {
			t.Errorf("container %s after the update: got %+v, want a new id, local %s, auto_update %v", c.Name, c, d2[:17], i == 0)
		}
	}

	// Login: wrong, right, logout invalidates, rate limit.
	if r := srv.do(t, "POST", "/api/login", `{"user":"admin","pass":"nope"}`, nil); r.status != 401 || r.body != "unauthorized\n" {
		t.Errorf("wrong password: got %d %q, want 401 unauthorized", r.status, r.body)
	}
	kept := srv.login(t, "pw")
	dropped := srv.login(t, "pw")
	if r := srv.do(t, "GET", "/api/images", "", dropped); r.status != 200 {
		t.Errorf("GET /api/images with a session: got %d, want 200", r.status)
	}
	if r := srv.do(t, "POST", "/api/logout", "", dropped); r.status != 200 || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout: got %d cookie %q, want 200 and an expired cookie", r.status, r.header.Get("Set-Cookie"))
	}
	if r := srv.do(t, "GET", "/api/images", "", dropped); r.status != 401 {
		t.Errorf("GET /api/images after logout: got %d, want 401", r.status)
	}
	for range 5 {
		srv.do(t, "POST", "/api/login", `{"user":"admin","pass":"nope"}`, nil)
	}
	if r := srv.do(t, "POST", "/api/login", `{"user":"admin","pass":"pw"}`, nil); r.status != 429 {
		t.Errorf("login after 5 failures: got %d %q, want 429", r.status, r.body)
	}

	// A restart logs nobody out and forgets no toggle.
	srv.stop()
	srv = startCutover(t, dataDir, append([]string{"--ui-password", "pw"}, names...)...)
	groups = waitImages(t, srv, kept, func(gs []groupJSON) bool { return len(gs) == 1 && len(gs[0].Containers) == 3 })
	if !groups[0].Containers[0].AutoUpdate || groups[0].Containers[1].AutoUpdate {
		t.Errorf("toggles after a restart: got %+v, want only %s on", groups[0].Containers, names[0])
	}

	// With the login off, the dashboard needs nothing.
	srv.stop()
	srv = startCutover(t, dataDir, append([]string{"--ui-auth=false"}, names...)...)
	if r := srv.do(t, "GET", "/api/auth/status", "", nil); r.body != `{"enabled":false}`+"\n" {
		t.Errorf("auth status with --ui-auth=false: got %q", r.body)
	}
	waitImages(t, srv, nil, func(gs []groupJSON) bool { return len(gs) == 1 })
}

type groupJSON struct {
	Image        string          `json:"image"`
	RemoteDigest string          `json:"remote_digest"`
	Status       string          `json:"status"`
	Containers   []containerJSON `json:"containers"`
}

type containerJSON struct {
	ID          string `json:"container_id"`
	Name        string `json:"container_name"`
	LocalDigest string `json:"local_digest"`
	Status      string `json:"status"`
	AutoUpdate  bool   `json:"auto_update"`
}

// waitImages polls GET /api/images until ok accepts the answer.
func waitImages(t *testing.T, srv *cutover, header map[string]string, ok func([]groupJSON) bool) []groupJSON {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r := srv.do(t, "GET", "/api/images", "", header)
		var gs []groupJSON
		if r.status == 200 && json.Unmarshal([]byte(r.body), &gs) == nil && ok(gs) {
			return gs
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /api/images: last answer %d %s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cutover is "cutover serve" running in this process.
type cutover struct {
	base    string
	dataDir string
	stop    func()
}

// startCutover runs cutover serve on a free port until stop or the end of
// the test.
func startCutover(t *testing.T, dataDir string, args ...string) *cutover {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, append([]string{"serve", "--listen", addr, "--data-dir", dataDir, "--no-startup-message"}, args...), &out, &out)
	}()
	c := &cutover{base: "http://" + addr, dataDir: dataDir}
	c.stop = sync.OnceFunc(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("cutover did not stop within 30 s")
		}
		if t.Failed() {
			t.Logf("cutover output:\n%s", out.String())
		}
	})
	t.Cleanup(c.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case code := <-done:
			t.Fatalf("cutover serve exited with %d:\n%s", code, out.String())
		default:
		}
		if resp, err := http.Get(c.base + "/api/auth/status"); err == nil {
			resp.Body.Close()
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("cutover serve did not answer on %s within 30 s:\n%s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *cutover) key(t *testing.T) string {
	t.Helper()
	var out bytes.Buffer
	if code := cli.Run(context.Background(), []string{"api-key", "--data-dir", c.dataDir}, &out, io.Discard); code != 0 {
		t.Fatalf("cutover api-key: exit %d", code)
	}
	return strings.TrimSpace(out.String())
}

func (c *cutover) do(t *testing.T, method, path, body string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func (c *cutover) login(t *testing.T, pass string) map[string]string {
	t.Helper()
	r := c.do(t, "POST", "/api/login", fmt.Sprintf(`{"user":"admin","pass":%q}`, pass), nil)
	if r.status != 200 {
		t.Fatalf("login: got %d %q, want 200", r.status, r.body)
	}
	ck := sessionCookie(t, r.header)
	return map[string]string{"Cookie": ck.Name + "=" + ck.Value}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

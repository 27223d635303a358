package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRouteMatch(t *testing.T) {
	for _, tc := range []struct {
		route        Route
		method, path string
		want         bool
	}{
		{ContainerRename, "POST", "/containers/abc/rename", true},
		{ContainerRename, "GET", "/containers/abc/rename", false},
		{ContainerRename, "POST", "/containers/abc/start", false},
		{ContainerRename.For("abc"), "POST", "/containers/abc/rename", true},
		{ContainerRename.For("abc"), "POST", "/containers/abcd/rename", false},
		{ContainerInspect, "GET", "/containers/abc/json", true},
		{ContainerInspect, "GET", "/containers/json", false},
		{ContainerList, "GET", "/containers/json", true},
		{ContainerList, "GET", "/containers/abc/json", false},
		{ContainerRemove, "DELETE", "/containers/abc", true},
		{ContainerRemove, "DELETE", "/containers/abc/extra", false},
		{ContainerCreate, "POST", "/containers/create", true},
		{ImageInspect, "GET", "/images/127.0.0.1:5000/cutover-test/app:v1/json", true},
		{ImageInspect, "GET", "/images/app/json", true},
		{ImageInspect, "GET", "/images/json", false},
		{ImageRemove, "DELETE", "/images/127.0.0.1:5000/cutover-test/app:v1", true},
		{ImageRemove, "DELETE", "/images", false},
		{ExecStart, "POST", "/exec/e1/start", true},
		{NetworkConnect.For("net-a"), "POST", "/networks/net-a/connect", true},
		{NetworkConnect.For("net-a"), "POST", "/networks/net-b/connect", false},
	} {
		if got := tc.route.match(tc.method, tc.path); got != tc.want {
			t.Errorf("%q matching %s %s: got %v, want %v", tc.route, tc.method, tc.path, got, tc.want)
		}
	}
}

// fakeEngine answers every call on a unix socket with 200 {"Id": "<path>"}
// and counts what reached it.
type fakeEngine struct {
	socket string
	mu     sync.Mutex
	seen   []string
}

func newFakeEngine(t *testing.T) *fakeEngine {
	t.Helper()
	dir, err := os.MkdirTemp("", "cutover-fake-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	f := &fakeEngine{socket: filepath.Join(dir, "engine.sock")}
	ln, err := net.Listen("unix", f.socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen = append(f.seen, r.Method+" "+r.URL.Path+" "+string(body))
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]string{"Id": r.URL.Path})
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return f
}

func (f *fakeEngine) reached() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

// call sends one request through the proxy and returns the status and body.
func call(t *testing.T, p *FaultProxy, method, path, body string) (int, string, error) {
	t.Helper()
	socket := strings.TrimPrefix(p.Host, "unix://")
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequest(method, "http://engine"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}

func TestFaultProxyCountsAndAnswersLikeTheEngine(t *testing.T) {
	up := newFakeEngine(t)
	p := NewFaultProxy(t, engineAt("fake", "unix://"+up.socket))
	once := p.Fail(ContainerRename, http.StatusInternalServerError, "injected rename failure")
	twice := p.Fail(ContainerStop.For("web"), http.StatusConflict, "injected conflict").Times(2)
	always := p.Fail(ContainerRemove, http.StatusNotFound, "No such container: x").Always()

	type result struct {
		status int
		body   string
	}
	var got []result
	for _, r := range []struct{ method, path string }{
		{"POST", "/v1.41/containers/web/rename"},
		{"POST", "/v1.41/containers/web/rename"},
		{"POST", "/v1.56/containers/web/stop"},
		{"POST", "/containers/db/stop"},
		{"POST", "/containers/web/stop"},
		{"POST", "/containers/web/stop"},
		{"DELETE", "/v1.41/containers/web"},
		{"DELETE", "/v1.41/containers/db"},
	} {
		status, body, err := call(t, p, r.method, r.path, "")
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		got = append(got, result{status, body})
	}
	want := []result{
		{500, `{"message":"injected rename failure"}`},
		{200, `{"Id":"/v1.41/containers/web/rename"}`},
		{409, `{"message":"injected conflict"}`},
		{200, `{"Id":"/containers/db/stop"}`},
		{409, `{"message":"injected conflict"}`},
		{200, `{"Id":"/containers/web/stop"}`},
		{404, `{"message":"No such container: x"}`},
		{404, `{"message":"No such container: x"}`},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("answers through the proxy (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		name string
		f    *Fault
		want int
	}{{"once", once, 1}, {"twice", twice, 2}, {"always", always, 2}} {
		if got := c.f.Hits(); got != c.want {
			t.Errorf("fault %s: got %d hits, want %d", c.name, got, c.want)
		}
	}
	wantReached := []string{
		"POST /v1.41/containers/web/rename ",
		"POST /containers/db/stop ",
		"POST /containers/web/stop ",
	}
	if diff := cmp.Diff(wantReached, up.reached()); diff != "" {
		t.Errorf("calls that reached the engine (-want +got):\n%s", diff)
	}
	calls := p.Calls(ContainerRename, ContainerRemove)
	wantCalls := []Call{
		{Method: "POST", Path: "/containers/web/rename", Fault: "fail 500"},
		{Method: "POST", Path: "/containers/web/rename"},
		{Method: "DELETE", Path: "/containers/web", Fault: "fail 404"},
		{Method: "DELETE", Path: "/containers/db", Fault: "fail 404"},
	}
	if diff := cmp.Diff(wantCalls, calls); diff != "" {
		t.Errorf("Calls(rename, remove) (-want +got):\n%s", diff)
	}
	if n := len(p.Calls()); n != 8 {
		t.Errorf("Calls(): got %d, want all 8", n)
	}
}

func TestFaultProxyRecordsBodies(t *testing.T) {
	up := newFakeEngine(t)
	p := NewFaultProxy(t, engineAt("fake", "unix://"+up.socket))
	const body = `{"Image":"app:v1"}`
	if _, _, err := call(t, p, "POST", "/v1.41/containers/create?name=web", body); err != nil {
		t.Fatal(err)
	}
	want := []Call{{Method: "POST", Path: "/containers/create", Query: "name=web", Body: body}}
	if diff := cmp.Diff(want, p.Calls(ContainerCreate)); diff != "" {
		t.Errorf("Calls(create) (-want +got):\n%s", diff)
	}
	if got, want := up.reached(), []string{"POST /v1.41/containers/create " + body}; !cmp.Equal(got, want) {
		t.Errorf("the engine got %q, want the body passed on unchanged: %q", got, want)
	}
}

func TestFaultProxyHangsUntilReleased(t *testing.T) {
	up := newFakeEngine(t)
	p := NewFaultProxy(t, engineAt("fake", "unix://"+up.socket))
	hang := p.Hang(ContainerStart)
	done := make(chan int, 1)
	go func() {
		status, _, _ := call(t, p, "POST", "/containers/web/start", "")
		done <- status
	}()
	hang.WaitHit(t, 10*time.Second)
	// A held call must not reach the engine, nor answer, until released;
	// a call on another route passes meanwhile.
	if status, _, err := call(t, p, "POST", "/containers/web/stop", ""); err != nil || status != 200 {
		t.Fatalf("stop while start is held: got %d, %v, want 200", status, err)
	}
	select {
	case status := <-done:
		t.Fatalf("held start answered %d before Release, want it held", status)
	default:
	}
	if got := up.reached(); len(got) != 1 {
		t.Fatalf("engine reached by %q before Release, want only the stop", got)
	}
	hang.Release()
	select {
	case status := <-done:
		if status != 200 {
			t.Errorf("released start: got status %d, want the engine's 200", status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("released start: no answer within 10s")
	}
	if status, _, _ := call(t, p, "POST", "/containers/web/start", ""); status != 200 {
		t.Errorf("start after Release: got %d, want 200 at once", status)
	}
}

// A call still held when the test ends is cut off, never answered as if it
// had gone through.
func TestFaultProxyCutsHeldCallsAtTheEnd(t *testing.T) {
	up := newFakeEngine(t)
	type answer struct {
		status int
		err    error
	}
	result := make(chan answer, 1)
	t.Run("held", func(t *testing.T) {
		p := NewFaultProxy(t, engineAt("fake", "unix://"+up.socket))
		hang := p.Hang(ContainerStop)
		go func() {
			status, _, err := call(t, p, "POST", "/containers/web/stop", "")
			result <- answer{status, err}
		}()
		hang.WaitHit(t, 10*time.Second)
	})
	select {
	case a := <-result:
		if a.err == nil {
			t.Errorf("stop held when the test ended: got status %d, want the connection cut", a.status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stop held when the test ended: no end within 10s")
	}
	if got := up.reached(); len(got) != 0 {
		t.Errorf("engine reached by %q, want nothing", got)
	}
}

func TestFaultProxyDelays(t *testing.T) {
	up := newFakeEngine(t)
	p := NewFaultProxy(t, engineAt("fake", "unix://"+up.socket))
	const d = 300 * time.Millisecond
	p.Delay(ContainerInspect, d)
	start := time.Now()
	if status, _, err := call(t, p, "GET", "/v1.41/containers/web/json", ""); err != nil || status != 200 {
		t.Fatalf("delayed inspect: got %d, %v, want 200", status, err)
	}
	if took := time.Since(start); took < d {
		t.Errorf("delayed inspect answered after %s, want at least %s", took, d)
	}
	if got := p.Calls(ContainerInspect); len(got) != 1 || got[0].Fault != "delay 300ms" {
		t.Errorf("Calls(inspect): got %+v, want one marked delay 300ms", got)
	}
}

func TestFaultProxyBreaksAfterTheEngineActed(t *testing.T) {
	up := newFakeEngine(t)
	p := NewFaultProxy(t, engineAt("fake", "unix://"+up.socket))
	p.Break(ContainerRemove)
	_, _, err := call(t, p, "DELETE", "/containers/web", "")
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("broken remove: got error %v, want the connection cut", err)
	}
	if got := up.reached(); len(got) != 1 || !strings.HasPrefix(got[0], "DELETE /containers/web") {
		t.Errorf("engine got %q, want the remove carried out", got)
	}
}

package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/socketproxy"
)

// Route names engine calls: a method, a space and a path without the API
// version prefix, in which "*" stands for one path segment (an id or a
// name) and a trailing "**" for one or more (an image reference, which may
// hold slashes).
type Route string

// The engine calls cutover makes, for faults and for counting calls.
const (
	ContainerList    Route = "GET /containers/json"
	ContainerCreate  Route = "POST /containers/create"
	ContainerInspect Route = "GET /containers/*/json"
	ContainerStart   Route = "POST /containers/*/start"
	ContainerStop    Route = "POST /containers/*/stop"
	ContainerRestart Route = "POST /containers/*/restart"
	ContainerKill    Route = "POST /containers/*/kill"
	ContainerRename  Route = "POST /containers/*/rename"
	ContainerRemove  Route = "DELETE /containers/*"
	ContainerWait    Route = "POST /containers/*/wait"
	ExecCreate       Route = "POST /containers/*/exec"
	ExecStart        Route = "POST /exec/*/start"
	ExecInspect      Route = "GET /exec/*/json"
	ImagePull        Route = "POST /images/create"
	ImageInspect     Route = "GET /images/**/json"
	ImageRemove      Route = "DELETE /images/**"
	NetworkConnect   Route = "POST /networks/*/connect"
	Events           Route = "GET /events"
)

// For narrows the route to one container, network or exec: its first "*"
// becomes idOrName. The engine's path carries what the client was given, so
// a call made by name does not match a route narrowed by id.
func (r Route) For(idOrName string) Route {
	return Route(strings.Replace(string(r), "*", idOrName, 1))
}

// match reports whether a request's method and path, version prefix
// stripped, are this route's.
func (r Route) match(method, path string) bool {
	m, pattern, ok := strings.Cut(string(r), " ")
	if !ok || m != method {
		return false
	}
	want := strings.Split(strings.Trim(pattern, "/"), "/")
	got := strings.Split(strings.Trim(path, "/"), "/")
	for i, w := range want {
		if w == "**" {
			// One or more segments, then the rest of the pattern.
			rest := want[i+1:]
			return len(got)-i-len(rest) >= 1 && segmentsMatch(rest, got[len(got)-len(rest):])
		}
		if i >= len(got) || (w != "*" && w != got[i]) {
			return false
		}
	}
	return len(got) == len(want)
}

func segmentsMatch(want, got []string) bool {
	for i, w := range want {
		if w != "*" && w != got[i] {
			return false
		}
	}
	return true
}

// apiVersionPrefix is the /v1.41 that clients put before every path.
var apiVersionPrefix = regexp.MustCompile(`^/v[0-9]+\.[0-9]+/`)

// Call is one request the proxy saw.
type Call struct {
	// Method and Path, without the API version prefix.
	Method, Path string
	// Query is the raw query string.
	Query string
	// Body is the request's body when it is JSON, as create and connect
	// send, up to 1 MiB.
	Body string
	// Fault is what the proxy did instead of, or before, forwarding it:
	// "" (forwarded as is), "fail 500", "delay 2s", "hang", "break".
	Fault string
}

// FaultProxy stands between cutover and an engine and makes chosen engine
// calls fail, wait or break, as a real engine or network does on a bad day.
// Faults answer in the engine's own error shape, a status with
// {"message": "..."}, so the client sees what it would see from the engine.
// It records every call it sees.
type FaultProxy struct {
	// Host is the DOCKER_HOST value that reaches the engine through the
	// proxy, for docker.New or cutover's -H.
	Host string

	engine *Engine
	closed chan struct{}

	mu     sync.Mutex
	faults []*Fault
	calls  []Call
}

// NewFaultProxy puts a proxy in front of the engine's unix socket and
// stops it when the test ends, releasing the calls it holds first.
func NewFaultProxy(t testing.TB, e *Engine) *FaultProxy {
	t.Helper()
	upstream, ok := strings.CutPrefix(e.Host, "unix://")
	if !ok {
		unavailable(t, fmt.Sprintf("a fault proxy needs an engine on a unix socket, have %s", e.Host))
	}
	// Not t.TempDir: a socket's path must stay short, and a test's name
	// is part of its TempDir.
	dir, err := os.MkdirTemp("", "cutover-faults-")
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{engine: e, closed: make(chan struct{})}
	sp, err := socketproxy.Start(filepath.Join(dir, "engine.sock"), upstream, p.wrap)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("fault proxy: %v", err)
	}
	p.Host = sp.Host()
	t.Cleanup(func() {
		close(p.closed)
		sp.Close()
		os.RemoveAll(dir)
	})
	return p
}

// Engine returns the proxied engine as seen through the proxy, so that
// the docker CLI helpers meet the faults too.
func (p *FaultProxy) Engine() *Engine {
	e := engineAt(p.engine.Name, p.Host)
	e.APIVersion = p.engine.APIVersion
	return e
}

// Fault is one injected misbehaviour. It acts on the first matching calls,
// once unless Times or Always says otherwise; the calls after pass.
type Fault struct {
	proxy  *FaultProxy
	route  Route
	kind   string // "fail", "delay", "hang", "break"
	status int
	msg    string
	delay  time.Duration
	// query holds key and value pairs a call's query must have.
	query [][2]string
	// pass is how many matching calls still go through before it acts.
	pass int

	// Guarded by the proxy's mu.
	left     int // calls still to act on; -1 for always
	hits     int
	released bool

	hit     chan struct{} // closed on the first hit
	release chan struct{} // closed by Release
}

// Fail makes calls on route answer status with the engine's error body
// {"message": message}, without reaching the engine: 404 reads as "no such
// object", 409 as a conflict, 500 as an engine failure.
func (p *FaultProxy) Fail(route Route, status int, message string) *Fault {
	return p.add(&Fault{route: route, kind: "fail", status: status, msg: message})
}

// Delay makes calls on route reach the engine d late.
func (p *FaultProxy) Delay(route Route, d time.Duration) *Fault {
	return p.add(&Fault{route: route, kind: "delay", delay: d})
}

// Hang holds calls on route until Release, the caller gives up, or the test
// ends; released calls go on to the engine.
func (p *FaultProxy) Hang(route Route) *Fault {
	return p.add(&Fault{route: route, kind: "hang"})
}

// Break lets calls on route reach the engine, which carries them out, and
// then cuts the connection without an answer: the caller cannot tell
// whether the call happened.
func (p *FaultProxy) Break(route Route) *Fault {
	return p.add(&Fault{route: route, kind: "break"})
}

func (p *FaultProxy) add(f *Fault) *Fault {
	f.proxy, f.left = p, 1
	f.hit, f.release = make(chan struct{}), make(chan struct{})
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, f)
	return f
}

// WhereQuery narrows the fault to calls whose query has key set to value,
// as the rename that gives a container one name ("name=web") against the
// renames that give it another.
func (f *Fault) WhereQuery(key, value string) *Fault {
	f.proxy.mu.Lock()
	defer f.proxy.mu.Unlock()
	f.query = append(f.query, [2]string{key, value})
	return f
}

// matches reports whether the fault is for this call.
func (f *Fault) matches(c Call) bool {
	if !f.route.match(c.Method, c.Path) {
		return false
	}
	if len(f.query) == 0 {
		return true
	}
	q, err := url.ParseQuery(c.Query)
	if err != nil {
		return false
	}
	for _, kv := range f.query {
		if q.Get(kv[0]) != kv[1] {
			return false
		}
	}
	return true
}

// After lets the first n matching calls through untouched before the fault
// acts, as the second stop of a swap (the new container's, in a rollback)
// after the first (the old one's).
func (f *Fault) After(n int) *Fault {
	f.proxy.mu.Lock()
	defer f.proxy.mu.Unlock()
	f.pass = n
	return f
}

// Times makes the fault act on the first n matching calls.
func (f *Fault) Times(n int) *Fault {
	f.setLeft(n)
	return f
}

// Always makes the fault act on every matching call.
func (f *Fault) Always() *Fault {
	f.setLeft(-1)
	return f
}

func (f *Fault) setLeft(n int) {
	f.proxy.mu.Lock()
	defer f.proxy.mu.Unlock()
	f.left = n
}

// Hits is the number of calls the fault acted on so far.
func (f *Fault) Hits() int {
	f.proxy.mu.Lock()
	defer f.proxy.mu.Unlock()
	return f.hits
}

// Hit is closed when the fault first acts: for a hang, once a call is held.
func (f *Fault) Hit() <-chan struct{} { return f.hit }

// WaitHit waits until the fault has acted, failing the test after timeout.
func (f *Fault) WaitHit(t testing.TB, timeout time.Duration) {
	t.Helper()
	select {
	case <-f.hit:
	case <-time.After(timeout):
		t.Fatalf("fault on %s: no matching call within %s", f.route, timeout)
	}
}

// Release lets the calls a Hang holds, or a Delay delays, and all later
// ones, go on at once.
func (f *Fault) Release() {
	f.proxy.mu.Lock()
	defer f.proxy.mu.Unlock()
	if !f.released {
		f.released = true
		f.left = 0
		close(f.release)
	}
}

// take records a call and returns the fault that acts on it, counting the
// hit, or nil.
func (p *FaultProxy) take(c Call) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	var acting *Fault
	for _, f := range p.faults {
		if f.left == 0 || !f.matches(c) {
			continue
		}
		if f.pass > 0 {
			f.pass--
			continue
		}
		if f.left > 0 {
			f.left--
		}
		f.hits++
		if f.hits == 1 {
			close(f.hit)
		}
		acting = f
		c.Fault = f.String()
		break
	}
	p.calls = append(p.calls, c)
	return acting
}

// String says what the fault does, as Call.Fault shows it.
func (f *Fault) String() string {
	switch f.kind {
	case "fail":
		return fmt.Sprintf("fail %d", f.status)
	case "delay":
		return "delay " + f.delay.String()
	}
	return f.kind
}

// Calls returns the calls the proxy saw, in the order they came, on the
// given routes, or all of them when none is given.
func (p *FaultProxy) Calls(routes ...Route) []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Call
	for _, c := range p.calls {
		if len(routes) == 0 || slices.ContainsFunc(routes, func(r Route) bool { return r.match(c.Method, c.Path) }) {
			out = append(out, c)
		}
	}
	return out
}

// maxRecordedBody bounds the body kept of one call.
const maxRecordedBody = 1 << 20

func (p *FaultProxy) wrap(forward http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := apiVersionPrefix.ReplaceAllString(r.URL.Path, "/")
		c := Call{Method: r.Method, Path: path, Query: r.URL.RawQuery}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && r.Body != nil {
			body, err := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			c.Body = string(body)
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		}
		f := p.take(c)
		if f == nil {
			forward.ServeHTTP(w, r)
			return
		}
		f.act(w, r, forward, p.closed)
	})
}

// act does what the fault says to one call.
func (f *Fault) act(w http.ResponseWriter, r *http.Request, forward http.Handler, closed <-chan struct{}) {
	switch f.kind {
	case "fail":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		json.NewEncoder(w).Encode(map[string]string{"message": f.msg})
	case "delay", "hang":
		var wait <-chan time.Time
		if f.kind == "delay" {
			wait = time.After(f.delay)
		}
		select {
		case <-wait:
		case <-f.release:
		case <-r.Context().Done():
			return
		case <-closed:
			// Cut the connection: returning would answer 200.
			panic(http.ErrAbortHandler)
		}
		forward.ServeHTTP(w, r)
	case "break":
		forward.ServeHTTP(discard{header: http.Header{}}, r)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}
}

// discard is a ResponseWriter that drops the engine's answer.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

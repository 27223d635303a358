package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cli"
)

// daemon is a cutover serve running in-process for one test.
type daemon struct {
	addr   string
	cancel context.CancelFunc
	done   chan int
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs cutover serve on a free loopback port with the given
// arguments and stops it when the test ends.
func startServe(t *testing.T, dataDir string, args ...string) *daemon {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{addr: addr, cancel: cancel, done: make(chan int, 1), logs: &syncBuffer{}}
	full := append([]string{"serve", "--listen", addr, "--data-dir", dataDir, "--health-grace", "1s", "--health-timeout", "30s"}, args...)
	go func() { d.done <- cli.Run(ctx, full, d.logs, d.logs) }()
	t.Cleanup(func() {
		d.stop(t)
		t.Logf("cutover serve logs:\n%s", d.logs.String())
	})
	// Start-up recovers swaps and lists containers first: on a busy engine
	// that takes a while.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get("http://" + addr + "/health"); err == nil {
			resp.Body.Close()
			return d
		}
		select {
		case code := <-d.done:
			d.done <- code
			t.Fatalf("cutover serve exited with %d before answering:\n%s", code, d.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("cutover serve did not answer on %s:\n%s", addr, d.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *daemon) stop(t *testing.T) int {
	d.cancel()
	select {
	case code := <-d.done:
		d.done <- code
		return code
	case <-time.After(60 * time.Second):
		t.Errorf("cutover serve did not stop within 60s")
		return -1
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// callClient opens a connection per request, as a script's curl does: a
// kept-alive connection can outlive the cutover container it reached (a
// restart, a self-update), and a POST sent on it is not retried.
var callClient = &http.Client{Timeout: 3 * time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}

// call sends a request with the given Authorization header value.
func call(t *testing.T, method, url, auth, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	// How the request went out, for a failure to say.
	var conn httptrace.GotConnInfo
	sent := time.Now()
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { conn = i }}))
	resp, err := callClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v (after %s, on a connection reused=%t, idle for %s before)", method, url, err, time.Since(sent).Round(time.Millisecond), conn.Reused, conn.IdleTime)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// notifications is a listener for generic+http notification URLs.
type notifications struct {
	mu   sync.Mutex
	msgs []string
	url  string
}

func listenNotifications(t *testing.T) *notifications {
	t.Helper()
	n := &notifications{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		n.mu.Lock()
		n.msgs = append(n.msgs, string(b))
		n.mu.Unlock()
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	n.url = fmt.Sprintf("generic+http://%s/notify", l.Addr())
	return n
}

func (n *notifications) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// tryCall is a GET that reports connection errors instead of failing.
func tryCall(url string) (int, string, error) {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

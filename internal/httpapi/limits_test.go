package httpapi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/engine"
)

// TestServerLimitsAreSet checks the bounds Serve puts on a client: without
// them one slow client holds a connection, and a goroutine, for ever.
func TestServerLimitsAreSet(t *testing.T) {
	srv := New(Deps{}).httpServer()
	for _, l := range []struct {
		name     string
		got, max time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout, 30 * time.Second},
		{"ReadTimeout", srv.ReadTimeout, 2 * time.Minute},
		{"IdleTimeout", srv.IdleTimeout, 5 * time.Minute},
	} {
		if l.got <= 0 || l.got > l.max {
			t.Errorf("http.Server.%s: got %s, want more than 0 and at most %s", l.name, l.got, l.max)
		}
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("http.Server.MaxHeaderBytes: got %d, want more than 0 and at most 1 MiB", srv.MaxHeaderBytes)
	}
	if srv.ReadTimeout < srv.ReadHeaderTimeout {
		t.Errorf("http.Server.ReadTimeout %s is shorter than ReadHeaderTimeout %s", srv.ReadTimeout, srv.ReadHeaderTimeout)
	}
}

type slowDeployer struct{ calls chan engine.DeployRequest }

func (d slowDeployer) Deploy(_ context.Context, req engine.DeployRequest, _ engine.Sink) (engine.Outcome, error) {
	d.calls <- req
	return engine.Outcome{Result: engine.ResultUpdated}, nil
}

// serveShortened runs the server Serve runs, with its timeouts shortened to
// what a test can wait for.
func serveShortened(t *testing.T, d Deployer) string {
	t.Helper()
	srv := New(Deps{Key: apikey.Given("slow-key", "test"), Deployer: d}).httpServer()
	srv.ReadHeaderTimeout = 300 * time.Millisecond
	srv.ReadTimeout = 600 * time.Millisecond
	srv.IdleTimeout = 300 * time.Millisecond
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// trickle writes s one byte every gap until the server closes the
// connection, and returns how long the server let it go on and what it
// answered, if anything.
func trickle(t *testing.T, addr, s string, gap time.Duration) (time.Duration, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	answer := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(conn) // until the server closes
		answer <- string(b)
	}()
	for i := 0; i < len(s); i++ {
		if _, err := conn.Write([]byte{s[i]}); err != nil {
			break
		}
		select {
		case a := <-answer:
			return time.Since(start), a
		case <-time.After(gap):
		}
	}
	select {
	case a := <-answer:
		return time.Since(start), a
	case <-time.After(5 * time.Second):
		t.Fatalf("the server still listens to a client that took %s to send %d bytes", time.Since(start), len(s))
		return 0, ""
	}
}

// TestSlowClientsAreCutOff plays slowloris against the server: headers sent
// a byte at a time, a body sent a byte at a time, and a connection left idle.
// Each is cut off at its timeout, and the slow body never reaches the
// deployer.
func TestSlowClientsAreCutOff(t *testing.T) {
	calls := make(chan engine.DeployRequest, 10)
	addr := serveShortened(t, slowDeployer{calls: calls})
	body := `{"container":"nginx","image":"nginx"}`
	head := "POST /update HTTP/1.1\r\nHost: x\r\nAuthorization: slow-key\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"

	t.Run("headers", func(t *testing.T) {
		took, answer := trickle(t, addr, head+body, 50*time.Millisecond)
		if took > 2*time.Second {
			t.Errorf("slow headers: cut off after %s, want about 300ms", took)
		}
		if answer != "" && !strings.HasPrefix(answer, "HTTP/1.1 4") {
			t.Errorf("slow headers: got %q, want the connection closed or a 4xx", answer)
		}
	})
	t.Run("body", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte(head)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		resp := make(chan *http.Response, 1)
		go func() {
			r, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				close(resp)
				return
			}
			resp <- r
		}()
		for i := 0; i < len(body); i++ {
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
			if len(resp) > 0 {
				break
			}
		}
		select {
		case r, ok := <-resp:
			if ok {
				b, _ := io.ReadAll(r.Body)
				r.Body.Close()
				if r.StatusCode != http.StatusBadRequest {
					t.Errorf("slow body: got %d %q, want 400", r.StatusCode, b)
				}
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("slow body: no answer and no close after %s", time.Since(start))
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("slow body: cut off after %s, want about 600ms", took)
		}
		select {
		case req := <-calls:
			t.Errorf("slow body: reached the deployer with %+v, want it refused", req)
		default:
		}
	})
	t.Run("idle", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte("GET /update/nope HTTP/1.1\r\nHost: x\r\nAuthorization: slow-key\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		r, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		start := time.Now()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = br.ReadByte()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || time.Since(start) > 2*time.Second {
			t.Errorf("idle keep-alive connection: still open after %s, want it closed after about 300ms", time.Since(start))
		}
	})
}

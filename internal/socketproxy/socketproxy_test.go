package socketproxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// engine serves handler on a unix socket in a short temporary directory
// and returns the directory and the socket's path.
func engine(t *testing.T, handler http.Handler) (string, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "socketproxy-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "upstream.sock")
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return dir, socket
}

func dial(p *Proxy) (net.Conn, error) {
	return net.Dial("unix", strings.TrimPrefix(p.Host(), "unix://"))
}

// A streamed answer (pull progress, events) reaches the client as the engine
// sends it, not when it ends.
func TestStreamsPassAsTheyCome(t *testing.T) {
	next := make(chan struct{})
	dir, socket := engine(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `{"status":"first"}`)
		w.(http.Flusher).Flush()
		<-next
		fmt.Fprintln(w, `{"status":"second"}`)
	}))
	p, err := Start(filepath.Join(dir, "proxy.sock"), socket, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return dial(p) }}}
	resp, err := c.Post("http://engine/v1.41/images/create?fromImage=app", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	got := make(chan string, 1)
	go func() { l, _ := lines.ReadString('\n'); got <- l }()
	select {
	case l := <-got:
		if strings.TrimSpace(l) != `{"status":"first"}` {
			t.Errorf("first line: got %q", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("first line of the stream not through while the engine holds the rest")
	}
	close(next)
	if rest, _ := io.ReadAll(lines); strings.TrimSpace(string(rest)) != `{"status":"second"}` {
		t.Errorf("rest of the stream: got %q", rest)
	}
}

// An upgraded connection (exec start, attach) is spliced through: what the
// client writes after the 101 reaches the engine, and back.
func TestUpgradedConnectionsAreSpliced(t *testing.T) {
	dir, socket := engine(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "tcp" {
			http.Error(w, "want an upgrade", http.StatusBadRequest)
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(buf, "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
		buf.Flush()
		line, _ := buf.ReadString('\n')
		fmt.Fprint(buf, "echo: "+line)
		buf.Flush()
	}))
	var seen []string
	p, err := Start(filepath.Join(dir, "proxy.sock"), socket, func(forward http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = append(seen, r.Method+" "+r.URL.Path)
			forward.ServeHTTP(w, r)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	conn, err := dial(p)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(conn, "POST /v1.41/exec/e1/start HTTP/1.1\r\nHost: engine\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n")
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade through the proxy: got %s, want 101", resp.Status)
	}
	fmt.Fprint(conn, "hello\n")
	if line, err := r.ReadString('\n'); err != nil || line != "echo: hello\n" {
		t.Errorf("after the upgrade: got %q, %v, want the engine's echo", line, err)
	}
	if want := "POST /v1.41/exec/e1/start"; len(seen) != 1 || seen[0] != want {
		t.Errorf("requests the hook saw: %q, want [%s]", seen, want)
	}
}

// A socket file left by a killed run does not stop the proxy from starting.
func TestReplacesAStaleSocket(t *testing.T) {
	dir, socket := engine(t, http.NotFoundHandler())
	path := filepath.Join(dir, "proxy.sock")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Start(path, socket, nil)
	if err != nil {
		t.Fatalf("Start over a stale socket file: %v", err)
	}
	p.Close()
}

package cli_test

import (
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationEngineUnreachableAtStart starts the daemon against an
// engine address where nothing answers yet: it keeps running, says 503 on
// /health, and comes back by itself once the engine answers there.
func TestIntegrationEngineUnreachableAtStart(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "engine.sock")
	d := startServe(t, t.TempDir(), "--host", "unix://"+sock, "--scope", testenv.Name(t, "noscope"))
	code, body := call(t, "GET", "http://"+d.addr+"/health", "", "", "")
	if code != 503 || !strings.HasPrefix(body, "docker engine unreachable: ") || strings.Count(body, "\n") != 1 {
		t.Fatalf("health with no engine: got %d %q, want 503 and one line saying why", code, body)
	}

	// The engine appears at the address: a relay to the real one.
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go relay(c)
		}
	}()
	waitFor(t, "/health to answer 200 once the engine is there", 20*time.Second, func() bool {
		code, _ := call(t, "GET", "http://"+d.addr+"/health", "", "", "")
		return code == 200
	})
}

func relay(c net.Conn) {
	defer c.Close()
	up, err := net.Dial("unix", "/var/run/docker.sock")
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

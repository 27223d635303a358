package testenv

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// HTTPGet fetches url with a 2 s timeout and returns the body. A status other
// than 200 is an error, returned together with the body.
func HTTPGet(t testing.TB, url string) (string, error) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return string(b), err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: status %s", url, resp.Status)
	}
	return string(b), nil
}

// WaitHTTP polls url until its trimmed body equals want, and fails the test
// with the last answer when timeout passes first.
func WaitHTTP(t testing.TB, url string, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		body, err := HTTPGet(t, url)
		got := strings.TrimSpace(body)
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: got %q (error: %v), want %q within %s", url, got, err, want, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// PublishedPort returns the host:port on which the shared engine's
// container name publishes containerPort; see Engine.PublishedPort.
func PublishedPort(t testing.TB, name string, containerPort string) string {
	t.Helper()
	return shared().PublishedPort(t, name, containerPort)
}

// PublishedPort returns the host:port, usually 127.0.0.1:NNNNN, on which the
// container name publishes containerPort ("8000" or "8000/tcp").
func (e *Engine) PublishedPort(t testing.TB, name string, containerPort string) string {
	t.Helper()
	out := e.Docker(t, "port", name, containerPort)
	// One line per host binding, e.g. "0.0.0.0:49153" and "[::]:49154". The
	// IPv6 binding may get a different port, so an IPv4 one is used, and a
	// wildcard address is dialled on loopback.
	for _, line := range strings.Split(out, "\n") {
		host, port, err := net.SplitHostPort(strings.TrimSpace(line))
		if err != nil {
			continue
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.To4() == nil {
			continue
		}
		if ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		return net.JoinHostPort(host, port)
	}
	t.Fatalf("%s engine: container %s: no host port published for %s (docker port: %q)", e.Name, name, containerPort, out)
	return ""
}

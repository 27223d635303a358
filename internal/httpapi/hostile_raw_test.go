package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawRequest writes an HTTP/1.1 request byte for byte as given, with no
// client-side checks or clean-ups, so that targets and headers reach the
// server exactly as a hostile client would send them.
type rawRequest struct {
	method, target string
	// header lines, "Name: value", sent in order.
	header []string
	body   string
	// noLength leaves Content-Length out (for Transfer-Encoding tests).
	noLength bool
	// proto replaces "HTTP/1.1".
	proto string
}

func (r rawRequest) bytes() []byte {
	proto := r.proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\nHost: cutover.test\r\nConnection: close\r\n", r.method, r.target, proto)
	for _, h := range r.header {
		b.WriteString(h + "\r\n")
	}
	if !r.noLength && (r.body != "" || r.method == http.MethodPost) {
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(r.body)
	return []byte(b.String())
}

// rawAnswer is what came back, or err when nothing did.
type rawAnswer struct {
	status int
	header http.Header
	body   string
	err    error
}

// sendRaw sends r to addr and reads one answer. The request is written while
// the answer is read, so that a server that answers before reading a huge
// body is seen answering.
func sendRaw(addr string, r rawRequest) rawAnswer {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return rawAnswer{err: err}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = conn.Write(r.bytes()) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: r.method})
	if err != nil {
		return rawAnswer{err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return rawAnswer{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// allowedHeaders are the only response headers the server may set. None of
// them carries anything a client sent.
var allowedHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "X-Content-Type-Options": true, "Date": true,
	"Connection": true, "Allow": true, "Retry-After": true, "Last-Modified": true, "Location": true,
	"Cache-Control": true, "Vary": true, "Set-Cookie": true, "X-Accel-Buffering": true,
	// The web UI's.
	"Content-Security-Policy": true, "Etag": true, "Referrer-Policy": true, "X-Frame-Options": true,
	"Accept-Ranges": true, "Content-Encoding": true,
}

// checkHeaders fails when an answer carries a header the server should not
// set, or a value with something a client injected.
func checkHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for name, values := range h {
		if !allowedHeaders[name] {
			t.Errorf("%s: got response header %q, want none built from the request", what, name)
		}
		for _, v := range values {
			if strings.ContainsAny(v, "\r\n\x00") || strings.Contains(strings.ToLower(v), "injected") {
				t.Errorf("%s: got response header %s: %q, want nothing from the request in it", what, name, v)
			}
		}
	}
}

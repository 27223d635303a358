package bench

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Proxy is a counting reverse proxy in front of a registry. The bench pushes
// its images through it, so every reference the containers carry names it,
// and every request cutover or the engine sends for them passes here.
type Proxy struct {
	ln  net.Listener
	srv *http.Server

	mu      sync.Mutex
	traffic Traffic
}

// Traffic is what reached the proxy since the last Reset.
type Traffic struct {
	// Requests counts HTTP requests by client ("cutover", "engine", "other")
	// and kind ("ping", "manifest HEAD", "manifest GET", "blob", "token",
	// "other").
	Requests map[string]map[string]int
	// TLSAttempts counts connections that began with a TLS handshake, which
	// a plain-HTTP registry refuses: clients that try HTTPS first.
	TLSAttempts int
}

// Total is the number of HTTP requests from client ("" for all).
func (t Traffic) Total(client string) int {
	n := 0
	for c, kinds := range t.Requests {
		if client != "" && c != client {
			continue
		}
		for _, k := range kinds {
			n += k
		}
	}
	return n
}

// Kind is the number of requests of one kind from client.
func (t Traffic) Kind(client, kind string) int { return t.Requests[client][kind] }

// Pulls counts the manifest GETs the engine sent: one per image it pulled
// (or confirmed by digest).
func (t Traffic) Pulls() int { return t.Kind(clientEngine, kindManifestGet) }

const (
	clientCutover = "cutover"
	clientEngine  = "engine"
	clientOther   = "other"

	kindPing        = "ping"
	kindManifestHd  = "manifest HEAD"
	kindManifestGet = "manifest GET"
	kindBlob        = "blob"
	kindToken       = "token"
	kindOther       = "other"
)

// StartProxy listens on a free 127.0.0.1 port and forwards to upstream
// ("127.0.0.1:5000"), keeping the Host header so the registry's upload
// locations point back at the proxy.
func StartProxy(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{}
	p.Reset()
	target := &url.URL{Scheme: "http", Host: upstream}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p.ln = &sniffListener{Listener: ln, onTLS: p.countTLS}
	p.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.count(r)
			rp.ServeHTTP(w, r)
		}),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() {
		if err := p.srv.Serve(p.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("registry proxy: %v", err)
		}
	}()
	return p, nil
}

// Addr is host:port of the proxy, to put in image references.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Shutdown(context.Background()) }

// Reset starts counting afresh.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.traffic = Traffic{Requests: map[string]map[string]int{}}
}

// Traffic returns the counts since the last Reset.
func (p *Proxy) Traffic() Traffic {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := Traffic{Requests: map[string]map[string]int{}, TLSAttempts: p.traffic.TLSAttempts}
	for c, kinds := range p.traffic.Requests {
		out.Requests[c] = map[string]int{}
		for k, n := range kinds {
			out.Requests[c][k] = n
		}
	}
	return out
}

func (p *Proxy) count(r *http.Request) {
	c, k := classify(r.Method, r.URL.Path, r.UserAgent())
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.traffic.Requests[c] == nil {
		p.traffic.Requests[c] = map[string]int{}
	}
	p.traffic.Requests[c][k]++
}

func (p *Proxy) countTLS() {
	p.mu.Lock()
	p.traffic.TLSAttempts++
	p.mu.Unlock()
}

// classify names the client by its User-Agent and the kind of request by its
// path in the registry API.
func classify(method, path, userAgent string) (client, kind string) {
	switch {
	case strings.HasPrefix(userAgent, "cutover/") || strings.HasPrefix(userAgent, "cutover "):
		client = clientCutover
	case strings.HasPrefix(userAgent, "docker/"):
		client = clientEngine
	default:
		client = clientOther
	}
	switch {
	case path == "/v2/" || path == "/v2":
		kind = kindPing
	case strings.Contains(path, "/manifests/"):
		if method == http.MethodHead {
			kind = kindManifestHd
		} else if method == http.MethodGet {
			kind = kindManifestGet
		} else {
			kind = kindOther
		}
	case strings.Contains(path, "/blobs/") && !strings.Contains(path, "/blobs/uploads"):
		kind = kindBlob
	case strings.Contains(path, "token"):
		kind = kindToken
	default:
		kind = kindOther
	}
	return client, kind
}

// sniffListener reports connections whose first byte opens a TLS handshake.
type sniffListener struct {
	net.Listener
	onTLS func()
}

func (l *sniffListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c, onTLS: l.onTLS}, nil
}

type sniffConn struct {
	net.Conn
	onTLS func()
	seen  bool
}

func (c *sniffConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if !c.seen && n > 0 {
		c.seen = true
		if b[0] == 0x16 { // TLS record type: handshake
			c.onTLS()
		}
	}
	return n, err
}

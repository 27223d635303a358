package cli_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// request is one request a receiver got.
type request struct {
	uri, body string
}

// receiver stands in for every webhook service a test notifies: generic
// webhooks, Gotify (/…/message, answered with a message id as Gotify
// answers) and Slack-style hooks. It records each request.
type receiver struct {
	addr string
	mu   sync.Mutex
	got  []request
}

func listenReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, request{uri: req.URL.RequestURI(), body: string(b)})
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":1,"appid":1,"message":"ok","title":"","priority":0,"date":"2026-01-01T00:00:00Z"}`)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	r.addr = l.Addr().String()
	return r
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

// sent reports whether a request to a URI starting with path carried text.
func (r *receiver) sent(path, text string) bool {
	for _, q := range r.requests() {
		if strings.HasPrefix(q.uri, path) && strings.Contains(q.body, text) {
			return true
		}
	}
	return false
}

// smtpReceiver is a mail server that takes every message and records the
// whole conversation, commands and data.
type smtpReceiver struct {
	port string
	mu   sync.Mutex
	log  strings.Builder
}

func listenSMTP(t *testing.T) *smtpReceiver {
	t.Helper()
	s := &smtpReceiver{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	_, s.port, _ = net.SplitHostPort(l.Addr().String())
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpReceiver) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	reply := func(lines ...string) { _, _ = io.WriteString(c, strings.Join(lines, "\r\n")+"\r\n") }
	reply("220 receiver ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		s.record(line)
		verb, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(line)), " ")
		switch verb {
		case "EHLO":
			reply("250-receiver", "250-AUTH PLAIN", "250 8BITMIME")
		case "AUTH":
			reply("235 2.7.0 accepted")
		case "DATA":
			reply("354 go ahead")
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				s.record(l)
			}
			reply("250 2.0.0 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("250 ok")
		}
	}
}

func (s *smtpReceiver) record(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log.WriteString(line)
}

func (s *smtpReceiver) transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook that records what it gets, or refuses it.
type receiver struct {
	mu     sync.Mutex
	got    []map[string]string
	at     []time.Time
	refuse bool
	url    string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var m map[string]string
		_ = json.Unmarshal(b, &m)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.refuse {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		r.got = append(r.got, m)
		r.at = append(r.at, time.Now())
	}))
	t.Cleanup(srv.Close)
	r.url = "generic+" + srv.URL + "/hook?template=json"
	return r
}

func (r *receiver) messages() []map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]string(nil), r.got...)
}

func TestTitles(t *testing.T) {
	for _, tt := range []struct {
		opts      Options
		wantTitle string
		titled    bool
	}{
		{Options{Host: "box"}, "cutover updates on box", true},
		{Options{Host: "box", TitleTag: "prod"}, "[prod] cutover updates on box", true},
		{Options{}, "cutover updates", true},
		{Options{Host: "box", SkipTitle: true}, "", false},
	} {
		rc := newReceiver(t)
		tt.opts.URLs = []string{rc.url}
		n, err := New(tt.opts, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		n.Startup(context.Background(), []Entry{entry(t0, InfoLevel, "hello")})
		n.Close(context.Background())
		msgs := rc.messages()
		if len(msgs) != 1 {
			t.Fatalf("%+v: got %d messages, want 1", tt.opts, len(msgs))
		}
		title, titled := msgs[0]["title"]
		if titled != tt.titled || title != tt.wantTitle || msgs[0]["message"] != "hello\n" {
			t.Errorf("%+v: got %q, want title %q (sent: %v) and message %q", tt.opts, msgs[0], tt.wantTitle, tt.titled, "hello\n")
		}
	}
}

func TestDelayHoldsMessagesBackInOrder(t *testing.T) {
	rc := newReceiver(t)
	n, err := New(Options{URLs: []string{rc.url}, Delay: 300 * time.Millisecond}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n.Startup(context.Background(), []Entry{entry(t0, InfoLevel, "one")})
	n.Startup(context.Background(), []Entry{entry(t0, InfoLevel, "two")})
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("queueing two messages took %s: the delay must not hold up the caller", took)
	}
	n.Close(context.Background())
	msgs := rc.messages()
	if len(msgs) != 2 || msgs[0]["message"] != "one\n" || msgs[1]["message"] != "two\n" {
		t.Fatalf("got %v, want one then two", msgs)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if d := rc.at[0].Sub(start); d < 300*time.Millisecond {
		t.Errorf("first message sent %s after it was queued, want at least the 300ms delay", d)
	}
	if d := rc.at[1].Sub(rc.at[0]); d < 300*time.Millisecond {
		t.Errorf("second message sent %s after the first, want at least the 300ms delay", d)
	}
}

func TestCloseGivesUpAtItsDeadline(t *testing.T) {
	rc := newReceiver(t)
	n, err := New(Options{URLs: []string{rc.url}, Delay: time.Hour}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n.Startup(context.Background(), []Entry{entry(t0, InfoLevel, "never")})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	n.Close(ctx)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close took %s past its 100ms deadline", took)
	}
	if len(rc.messages()) != 0 {
		t.Errorf("a message held for an hour was sent")
	}
	// After Close, nothing is queued or sent, and nothing panics.
	n.Startup(context.Background(), []Entry{entry(t0, InfoLevel, "late")})
}

func TestAFindingIsToldAgainWhenItsMessageFailed(t *testing.T) {
	rc := newReceiver(t)
	rc.refuse = true
	mem := &memory{}
	n, err := New(Options{URLs: []string{rc.url}}, mem, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, checked := aPass()
	n.PassFinished(context.Background(), r, checked)
	n.Close(context.Background())
	if mem.Notified("worker", digest("b2")) {
		t.Errorf("worker's finding remembered although its message was refused")
	}
	rc.mu.Lock()
	rc.refuse = false
	rc.mu.Unlock()
	n, err = New(Options{URLs: []string{rc.url}}, mem, nil)
	if err != nil {
		t.Fatal(err)
	}
	n.PassFinished(context.Background(), r, checked)
	n.Close(context.Background())
	msgs := rc.messages()
	if len(msgs) != 1 || strings.Count(msgs[0]["message"], "Found new example.com/shop/web:1.2") != 2 {
		t.Errorf("got %v, want one message telling web's and worker's new image", msgs)
	}
	if !mem.Notified("worker", digest("b2")) {
		t.Errorf("worker's finding not remembered after its message went out")
	}
}

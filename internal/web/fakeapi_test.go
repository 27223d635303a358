package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/web"
)

// fakeAPI serves the page and a dashboard API with the fields of the
// version contract (policies, cooldown, skip, holds, pins), so the page can
// be driven through states a real engine reaches only over days. It
// records every request that changes something.
type fakeAPI struct {
	mu       sync.Mutex
	groups   []fakeGroup
	requests []string // "METHOD path body"
	// noOffer is the id of a container whose skip is refused, as cutover
	// refuses one when the offer went away meanwhile.
	noOffer string
	sent    atomic.Int64 // images events sent
	// hosts is what GET /api/hosts answers: none for cutover watching one
	// engine as an older cutover answers (404).
	hosts []map[string]any
}

type fakeGroup struct {
	Image        string           `json:"image"`
	RemoteDigest string           `json:"remote_digest"`
	Status       string           `json:"status"`
	Containers   []map[string]any `json:"containers"`
}

// start serves f until the test ends and returns its base URL.
func (f *fakeAPI) start(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	ui := web.Handler()
	mux.Handle("GET /{$}", ui)
	mux.Handle("GET /assets/", ui)
	mux.HandleFunc("GET /api/auth/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]bool{"enabled": false})
	})
	mux.HandleFunc("GET /api/images", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, f.snapshot())
	})
	mux.HandleFunc("GET /api/history", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, []any{}) })
	if f.hosts != nil {
		mux.HandleFunc("GET /api/hosts", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, f.hosts) })
	}
	mux.HandleFunc("GET /api/ratelimit", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"known": false, "reason": "not Docker Hub"})
	})
	// The statuses, again and again, with a new check time each time, as
	// cutover's stream does on a busy engine.
	mux.HandleFunc("GET /api/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			b, _ := json.Marshal(map[string]any{"checked_at": time.Now().UTC().Format(time.RFC3339Nano), "images": f.snapshot()})
			if _, err := fmt.Fprintf(w, "event: images\ndata: %s\n\n", b); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			f.sent.Add(1)
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	})
	mux.HandleFunc("POST /api/images/{id}/update", func(w http.ResponseWriter, r *http.Request) {
		f.record(r)
		writeJSON(w, map[string]string{"status": "updating"})
	})
	mux.HandleFunc("POST /api/groups/update", func(w http.ResponseWriter, r *http.Request) {
		f.record(r)
		writeJSON(w, map[string]string{"status": "updating"})
	})
	skip := func(w http.ResponseWriter, r *http.Request) {
		f.record(r)
		if r.PathValue("id") == f.noOffer {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			msg := "container '" + f.noOffer + "' is offered no newer version: there is nothing to skip"
			_ = json.NewEncoder(w).Encode(map[string]string{"error": msg, "message": msg})
			return
		}
		// A skip is a hold, and DELETE releases any hold, as cutover does.
		on := r.Method == http.MethodPost
		reason := ""
		if on {
			reason = "skipped by the dashboard"
		}
		if !f.set(r.PathValue("id"), map[string]any{"skipped": on, "held": on, "held_reason": reason}) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "container not found", "message": "container not found"})
			return
		}
		writeJSON(w, map[string]any{"container": r.PathValue("id"), "skipped": on})
	}
	mux.HandleFunc("POST /api/images/{id}/skip", skip)
	mux.HandleFunc("DELETE /api/images/{id}/skip", skip)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return srv.URL
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) snapshot() []fakeGroup {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := json.Marshal(f.groups)
	var out []fakeGroup
	_ = json.Unmarshal(b, &out)
	return out
}

func (f *fakeAPI) record(r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, strings.TrimSpace(r.Method+" "+r.URL.Path+" "+string(body)))
}

// set sets fields of the container whose id or name is id.
func (f *fakeAPI) set(id string, fields map[string]any) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range f.groups {
		for _, c := range g.Containers {
			if c["container_id"] == id || c["container_name"] == id {
				for k, v := range fields {
					c[k] = v
				}
				return true
			}
		}
	}
	return false
}

// seen returns the requests recorded so far.
func (f *fakeAPI) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// container is an item of /api/images with Image Watch's fields; more
// fields are added by the caller.
func container(id, name, local, status string, more map[string]any) map[string]any {
	c := map[string]any{"container_id": id, "container_name": name, "local_digest": local, "status": status, "auto_update": false}
	for k, v := range more {
		c[k] = v
	}
	return c
}

package httpapi_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

type sse struct {
	event, data string
}

// readEvents reads events from an event stream into a channel.
func readEvents(t *testing.T, e *env) <-chan sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /api/events: got %d %q, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sse, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var cur sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				cur.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				cur.data = strings.TrimPrefix(line, "data: ")
			case line == "" && cur.event != "":
				out <- cur
				cur = sse{}
			}
		}
	}()
	return out
}

// next returns the next event of the given kind, skipping others.
func next(t *testing.T, events <-chan sse, kind string) sse {
	t.Helper()
	return nextWith(t, events, kind, "")
}

// nextWith returns the next event of the given kind whose data contains
// text, skipping others.
func nextWith(t *testing.T, events <-chan sse, kind, text string) sse {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event stream ended while waiting for %q %q", kind, text)
			}
			if ev.event == kind && strings.Contains(ev.data, text) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event with %q within 5 s", kind, text)
		}
	}
}

func TestDashboardEvents(t *testing.T) {
	e := newEnv(t, envOptions{})
	events := readEvents(t, e)

	first := next(t, events, "images")
	want := `{"checked_at":"2026-03-04T05:06:07Z","images":[{"image":"nginx:latest","remote_digest":"sha256:2222222222","status":"outdated","containers":[{"container_id":"3d4c5b6a7f8e","container_name":"nginx","local_digest":"sha256:1111111111","status":"outdated","auto_update":false,"state":"running","kind":"container","current_version":"","offered_version":"","offered_reference":"","offered_digest":"","skipped":false,"held":false,"held_reason":"","pinned":false,"release_url":"","policy":"","reason":""}]}]}`
	if first.data != want {
		t.Errorf("first images event:\ngot  %s\nwant %s", first.data, want)
	}

	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhaseQueued})
	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhasePulling,
		Progress: &engine.PullProgress{Layer: "a3ed95caeb02", Status: "Downloading", Current: 4 << 20, Total: 8 << 20}})
	p := nextWith(t, events, "progress", "Downloading")
	if want := `{"container_name":"nginx","layer":"a3ed95caeb02","current":4194304,"total":8388608,"percent":50,"status":"Downloading"}`; p.data != want {
		t.Errorf("progress event:\ngot  %s\nwant %s", p.data, want)
	}

	// The daemon resyncs the snapshot before the final event.
	rep := exampleReport()
	rep.Groups[0].Containers[0].Container.ID = "7777777777770000"
	rep.Groups[0].Containers[0].LocalDigest = remote2
	rep.Groups[0].Containers[0].Status = engine.StatusUpToDate
	rep.Groups[0].Status = engine.StatusUpToDate
	e.statuses.set(rep)
	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhaseRolledBack, Err: errors.New("new container exited with code 1")})
	res := next(t, events, "result")
	if want := `{"container_name":"nginx","result":"rolled_back","message":"new container exited with code 1"}`; res.data != want {
		t.Errorf("result event:\ngot  %s\nwant %s", res.data, want)
	}
	img := next(t, events, "images")
	if !strings.Contains(img.data, `"container_id":"777777777777","container_name":"nginx","local_digest":"sha256:2222222222","status":"uptodate"`) {
		t.Errorf("images event after the update: got %s, want nginx up to date under its new id", img.data)
	}

	// A toggle shows in the stream without any update.
	e.do(t, "POST", "/api/images/nginx/auto-update", `{"auto_update":true}`, bearer)
	img = next(t, events, "images")
	if !strings.Contains(img.data, `"auto_update":true`) {
		t.Errorf("images event after a toggle: got %s, want auto_update true", img.data)
	}
}

// TestDashboardEventsRepairDroppedEvents checks that a stream that missed
// events still shows the progress and the result within a second or so.
func TestDashboardEventsRepairDroppedEvents(t *testing.T) {
	e := newEnv(t, envOptions{deaf: true})
	events := readEvents(t, e)
	next(t, events, "images")
	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhaseRecreating})
	if p := next(t, events, "progress"); !strings.Contains(p.data, `"status":"recreating"`) {
		t.Errorf("progress: got %s, want recreating", p.data)
	}
	e.tracker.Emit(engine.Event{Container: "nginx", Phase: engine.PhaseFailed, Err: errors.New("pull 127.0.0.1:5000/app: manifest unknown")})
	if p := next(t, events, "progress"); !strings.Contains(p.data, `"status":"error: pull 127.0.0.1:5000/app: manifest unknown"`) {
		t.Errorf("progress: got %s, want the error", p.data)
	}
	if r := next(t, events, "result"); r.data != `{"container_name":"nginx","result":"failed","message":"pull 127.0.0.1:5000/app: manifest unknown"}` {
		t.Errorf("result: got %s, want failed with the reason", r.data)
	}
}

// TestDashboardEventsEndAtShutdown checks that an open stream does not hold
// a shutdown up.
func TestDashboardEventsEndAtShutdown(t *testing.T) {
	e := newEnv(t, envOptions{})
	events := readEvents(t, e)
	next(t, events, "images")
	e.shutdown()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("stream still open 5 s after shutdown began")
		}
	}
}

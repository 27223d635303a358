package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// Event stream pacing: progress is sent at most every progressEvery per
// container; every syncEvery the stream is compared with the statuses and
// the progress it should show, which also repairs events the tracker dropped
// for a slow stream; a comment every pingEvery keeps proxies from closing an
// idle stream.
const (
	progressEvery = 100 * time.Millisecond
	syncEvery     = time.Second
	pingEvery     = 25 * time.Second
)

type imagesEventJSON struct {
	CheckedAt string           `json:"checked_at"`
	Images    []imageGroupJSON `json:"images"`
}

type progressEventJSON struct {
	ContainerName string `json:"container_name"`
	pullProgressJSON
}

type resultEventJSON struct {
	ContainerName string `json:"container_name"`
	Result        string `json:"result"`
	Message       string `json:"message,omitempty"`
}

// events is GET /api/events: a Server-Sent Events stream of
//
//	images    the statuses, at once and whenever they change
//	progress  one container's update, as /api/images/{id}/progress says it
//	result    how an update ended: updated, rolled_back or failed
func (d *dashboard) events(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	events, stop := d.Progress.Subscribe()
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s := &stream{d: d, w: w, rc: http.NewResponseController(w), sent: map[string]pullProgressJSON{}, running: map[string]bool{}}

	// The statuses, and the updates already under way when the page opened.
	if !s.sync() {
		return
	}
	flush := time.NewTicker(progressEvery)
	defer flush.Stop()
	sync := time.NewTicker(syncEvery)
	defer sync.Stop()
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	pending := map[string]bool{}
	for {
		ok := true
		select {
		case <-r.Context().Done():
			return
		case <-d.Closing:
			return
		case e := <-events:
			switch {
			case e.Container == "":
			case !final(e.Phase):
				pending[e.FullName()] = true
			default:
				// The snapshot is resynced before a final event, so the
				// new status goes out with the result.
				delete(pending, e.FullName())
				ok = s.progress(e.FullName()) && s.result(e.FullName(), resultOf(e)) && s.images()
			}
		case <-flush.C:
			for name := range pending {
				if ok = s.progress(name); !ok {
					break
				}
			}
			clear(pending)
		case <-sync.C:
			ok = s.sync()
		case <-ping.C:
			ok = s.write(": ping\n\n")
		}
		if !ok {
			return
		}
	}
}

// stream is one client's event stream and what it was last told.
type stream struct {
	d    *dashboard
	w    http.ResponseWriter
	rc   *http.ResponseController
	last []byte                      // the last images event
	sent map[string]pullProgressJSON // the last progress per container
	// running holds the containers whose update the client saw under way
	// and whose result it has not been told yet.
	running map[string]bool
}

func (s *stream) write(text string) bool {
	if _, err := fmt.Fprint(s.w, text); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

func (s *stream) send(event string, v any) bool {
	b, _ := json.Marshal(v) // the event types always marshal
	return s.write("event: " + event + "\ndata: " + string(b) + "\n\n")
}

// images sends the statuses when they changed.
func (s *stream) images() bool {
	rep := s.d.Statuses.Report()
	v := imagesEventJSON{CheckedAt: checkedAt(rep.CheckedAt), Images: s.d.imageGroups(rep)}
	b, _ := json.Marshal(v)
	if bytes.Equal(b, s.last) {
		return true
	}
	s.last = b
	return s.send("images", v)
}

// progress sends a container's progress when it changed.
func (s *stream) progress(name string) bool {
	p, ok := s.d.Progress.Get(name)
	if !ok {
		return true
	}
	return s.sendProgress(name, p)
}

func (s *stream) sendProgress(name string, p daemon.Progress) bool {
	pj := progressOf(p)
	if prev, seen := s.sent[name]; seen && prev == pj {
		return true
	}
	s.sent[name] = pj
	if !p.Final {
		s.running[name] = true
	}
	return s.send("progress", progressEventJSON{ContainerName: name, pullProgressJSON: pj})
}

// result tells how an update the client saw running ended, once.
func (s *stream) result(name string, r resultEventJSON) bool {
	if !s.running[name] {
		return true
	}
	delete(s.running, name)
	return s.send("result", r)
}

// sync brings the client up to date with the statuses and every update's
// progress, sending the result of updates whose final event it missed.
func (s *stream) sync() bool {
	names := map[string]bool{}
	for name := range s.sent {
		names[name] = true
	}
	for _, g := range s.d.Statuses.Report().Groups {
		for _, c := range g.Containers {
			if shown(c.Container) {
				names[c.Container.Name] = true
			}
		}
	}
	for name := range names {
		p, ok := s.d.Progress.Get(name)
		if !ok {
			continue
		}
		if !s.sendProgress(name, p) || (p.Final && !s.result(name, resultOfStatus(name, p.Status))) {
			return false
		}
	}
	return s.images()
}

func final(p engine.Phase) bool {
	return p == engine.PhaseDone || p == engine.PhaseSkipped || p == engine.PhaseRolledBack || p == engine.PhaseFailed
}

func resultOf(e engine.Event) resultEventJSON {
	out := resultEventJSON{ContainerName: e.FullName(), Message: e.Message}
	switch e.Phase {
	case engine.PhaseDone:
		out.Result = string(engine.ResultUpdated)
	case engine.PhaseRolledBack:
		out.Result = string(engine.ResultRolledBack)
	case engine.PhaseSkipped:
		out.Result = string(engine.ResultSkipped)
	default:
		out.Result = string(engine.ResultFailed)
	}
	if e.Err != nil {
		out.Message = e.Err.Error()
	}
	return out
}

// resultOfStatus rebuilds a result from a final progress status, for a
// client whose stream dropped the final event.
func resultOfStatus(name, status string) resultEventJSON {
	switch {
	case status == "done":
		return resultEventJSON{ContainerName: name, Result: string(engine.ResultUpdated)}
	case status == "rolled back":
		return resultEventJSON{ContainerName: name, Result: string(engine.ResultRolledBack)}
	case strings.HasPrefix(status, "skipped"):
		return resultEventJSON{ContainerName: name, Result: string(engine.ResultSkipped), Message: strings.TrimPrefix(strings.TrimPrefix(status, "skipped"), ": ")}
	}
	return resultEventJSON{ContainerName: name, Result: string(engine.ResultFailed), Message: strings.TrimPrefix(status, "error: ")}
}

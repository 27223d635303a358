package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// Event stream pacing: statuses are compared every statusEvery, progress is
// sent at most every progressEvery per container, and a comment every
// pingEvery keeps proxies from closing an idle stream.
const (
	statusEvery   = time.Second
	progressEvery = 100 * time.Millisecond
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
	rc := http.NewResponseController(w)
	events, stop := d.Progress.Subscribe()
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	send := func(event string, v any) bool {
		b, _ := json.Marshal(v) // the event types always marshal
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	var last []byte
	sendImages := func() bool {
		rep := d.Statuses.Report()
		v := imagesEventJSON{CheckedAt: checkedAt(rep.CheckedAt), Images: d.imageGroups(rep)}
		b, _ := json.Marshal(v)
		if bytes.Equal(b, last) {
			return true
		}
		last = b
		return send("images", v)
	}
	sendProgress := func(name string) bool {
		if p, ok := d.Progress.Get(name); ok {
			return send("progress", progressEventJSON{ContainerName: name, pullProgressJSON: progressOf(p)})
		}
		return true
	}

	if !sendImages() {
		return
	}
	// Updates already running when the page opened.
	for _, g := range d.imageGroups(d.Statuses.Report()) {
		for _, c := range g.Containers {
			if !sendProgress(c.ContainerName) {
				return
			}
		}
	}

	status := time.NewTicker(statusEvery)
	defer status.Stop()
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	flush := time.NewTicker(progressEvery)
	defer flush.Stop()
	pending := map[string]bool{}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-d.Closing:
			return
		case e := <-events:
			if e.Container == "" {
				continue
			}
			if !final(e.Phase) {
				pending[e.Container] = true
				continue
			}
			delete(pending, e.Container)
			// The snapshot is resynced before a final event, so the new
			// status goes out with the result.
			if !sendProgress(e.Container) || !send("result", resultOf(e)) || !sendImages() {
				return
			}
		case <-flush.C:
			for name := range pending {
				if !sendProgress(name) {
					return
				}
			}
			clear(pending)
		case <-status.C:
			if !sendImages() {
				return
			}
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

func final(p engine.Phase) bool {
	return p == engine.PhaseDone || p == engine.PhaseRolledBack || p == engine.PhaseFailed
}

func resultOf(e engine.Event) resultEventJSON {
	out := resultEventJSON{ContainerName: e.Container, Message: e.Message}
	switch e.Phase {
	case engine.PhaseDone:
		out.Result = string(engine.ResultUpdated)
	case engine.PhaseRolledBack:
		out.Result = string(engine.ResultRolledBack)
	default:
		out.Result = string(engine.ResultFailed)
	}
	if e.Err != nil {
		out.Message = e.Err.Error()
	}
	return out
}

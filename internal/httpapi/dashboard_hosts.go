package httpapi

import (
	"net/http"
	"time"
)

// hostJSON is one engine on the dashboard.
type hostJSON struct {
	Host string `json:"host"`
	// Up says the engine answered the last time it was asked; an engine
	// never asked yet counts as up.
	Up        bool   `json:"up"`
	Error     string `json:"error,omitempty"`
	CheckedAt string `json:"checked_at,omitempty"`
}

// hosts is GET /api/hosts: the engines cutover watches, each with what it
// answered last. It asks no engine.
func (d *dashboard) hosts(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	out := []hostJSON{}
	if d.Engines != nil {
		for _, a := range d.Engines.EngineStates() {
			h := hostJSON{Host: a.Host, Up: a.Err == nil}
			if a.Err != nil {
				h.Error = a.Err.Error()
			}
			if !a.At.IsZero() {
				h.CheckedAt = a.At.UTC().Format(time.RFC3339)
			}
			out = append(out, h)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

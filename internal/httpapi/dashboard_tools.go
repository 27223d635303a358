package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// checkTimeout bounds a check asked for from the dashboard.
const checkTimeout = 2 * time.Minute

// check is POST /api/check: ask the registries now rather than at the next
// --check-interval.
func (d *dashboard) check(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
	defer cancel()
	if err := d.Statuses.Refresh(ctx); err != nil {
		textError(w, http.StatusServiceUnavailable, "check failed: "+oneLine(err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"checked_at": checkedAt(d.Statuses.Report().CheckedAt)})
}

type attemptJSON struct {
	Time       string `json:"time"`
	Container  string `json:"container"`
	Image      string `json:"image"`
	OldDigest  string `json:"old_digest"`
	NewDigest  string `json:"new_digest"`
	Result     string `json:"result"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// History limits.
const (
	defaultHistory = 50
	maxHistory     = 1000
)

// history is GET /api/history?container=&limit=: past update attempts,
// newest first, of one container (by name or id) or of all.
func (d *dashboard) history(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	q := r.URL.Query()
	limit := defaultHistory
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxHistory {
			textError(w, http.StatusBadRequest, "bad limit: want a number from 1 to 1000")
			return
		}
		limit = n
	}
	container := q.Get("container")
	if name, ok := d.resolve(container); ok {
		container = name
	}
	out := []attemptJSON{}
	if d.History != nil {
		attempts, err := d.History.Attempts(r.Context(), container, limit)
		if err != nil {
			textError(w, http.StatusInternalServerError, "cannot read the history: "+err.Error())
			return
		}
		for _, a := range attempts {
			out = append(out, attemptJSON{
				Time: a.Time.UTC().Format(time.RFC3339), Container: a.Container, Image: a.Image,
				OldDigest: a.OldDigest, NewDigest: a.NewDigest, Result: string(a.Result),
				Error: a.Error, DurationMS: a.Duration.Milliseconds(),
			})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

type budgetJSON struct {
	Known         bool   `json:"known"`
	Limit         int    `json:"limit,omitempty"`
	Remaining     *int   `json:"remaining,omitempty"`
	WindowSeconds int    `json:"window_seconds,omitempty"`
	Source        string `json:"source,omitempty"`
	Reason        string `json:"reason,omitempty"`
	CheckedAt     string `json:"checked_at,omitempty"`
}

// rateLimit is GET /api/ratelimit: Docker Hub's remaining pulls, or why they
// are unknown.
func (d *dashboard) rateLimit(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	if d.PullBudget == nil {
		writeJSON(w, http.StatusOK, budgetJSON{Reason: "not asked: no Docker Hub client configured"})
		return
	}
	b := d.PullBudget.Budget(r.Context())
	out := budgetJSON{Known: b.Known, Reason: b.Reason, CheckedAt: checkedAt(b.Checked)}
	if b.Known {
		remaining := b.Remaining
		out.Limit, out.Remaining, out.WindowSeconds, out.Source = b.Limit, &remaining, int(b.Window.Seconds()), b.Source
	}
	writeJSON(w, http.StatusOK, out)
}

type pruneJSON struct {
	ImagesDeleted  []string `json:"images_deleted"`
	SpaceReclaimed uint64   `json:"space_reclaimed"`
}

// prune is POST /api/prune: remove dangling images and say what was freed.
func (d *dashboard) prune(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	if d.Pruner == nil {
		textError(w, http.StatusNotImplemented, "pruning is not available")
		return
	}
	removed, freed, err := d.Pruner.PruneDanglingImages(r.Context())
	if err != nil {
		textError(w, http.StatusBadGateway, "prune failed: "+oneLine(err.Error()))
		return
	}
	if removed == nil {
		removed = []string{}
	}
	d.s.deps.Log.Info("pruned dangling images", "images", len(removed), "bytes", freed)
	writeJSON(w, http.StatusOK, pruneJSON{ImagesDeleted: removed, SpaceReclaimed: freed})
}

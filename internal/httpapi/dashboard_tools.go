package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/engine"
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
	// Unit is the atomic project the container was updated with.
	Unit string `json:"unit,omitempty"`
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
	// A container of one engine among several is HOST/NAME.
	host, container := engine.SplitName(container)
	out := []attemptJSON{}
	if d.History != nil {
		attempts, err := d.History.Attempts(r.Context(), host, container, limit)
		if err != nil {
			textError(w, http.StatusInternalServerError, "cannot read the history: "+err.Error())
			return
		}
		for _, a := range attempts {
			out = append(out, attemptJSON{
				Time: a.Time.UTC().Format(time.RFC3339), Container: engine.FullName(a.Host, a.Container), Image: a.Image,
				OldDigest: a.OldDigest, NewDigest: a.NewDigest, Result: string(a.Result),
				Error: a.Error, DurationMS: a.Duration.Milliseconds(), Unit: a.Unit,
			})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

type budgetJSON struct {
	// RateLimited is Image Watch's answer: whether pulls or checks are being
	// refused for too many requests now.
	RateLimited   bool   `json:"rate_limited"`
	Known         bool   `json:"known"`
	Limit         int    `json:"limit,omitempty"`
	Remaining     *int   `json:"remaining,omitempty"`
	WindowSeconds int    `json:"window_seconds,omitempty"`
	Source        string `json:"source,omitempty"`
	Reason        string `json:"reason,omitempty"`
	CheckedAt     string `json:"checked_at,omitempty"`
}

// rateLimit is GET /api/ratelimit: whether registries are refusing for too
// many requests (Image Watch's rate_limited), and Docker Hub's remaining
// pulls, or why they are unknown.
func (d *dashboard) rateLimit(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	out := budgetJSON{Reason: "not asked: no Docker Hub client configured"}
	if d.PullBudget != nil {
		b := d.PullBudget.Budget(r.Context())
		out = budgetJSON{Known: b.Known, Reason: b.Reason, CheckedAt: checkedAt(b.Checked)}
		if b.Known {
			remaining := b.Remaining
			out.Limit, out.Remaining, out.WindowSeconds, out.Source = b.Limit, &remaining, int(b.Window.Seconds()), b.Source
		}
	}
	out.RateLimited = out.Known && out.Remaining != nil && *out.Remaining == 0 || d.rateLimitSeen()
	writeJSON(w, http.StatusOK, out)
}

// rateLimitSeen reports whether the last check of an image, or the last
// update of a container, was refused for too many requests.
func (d *dashboard) rateLimitSeen() bool {
	for _, g := range d.Statuses.Report().Groups {
		if isRateLimit(g.Reason) {
			return true
		}
		for _, cs := range g.Containers {
			if isRateLimit(cs.Reason) || isRateLimit(d.lastError(cs.Container.FullName())) {
				return true
			}
		}
	}
	return false
}

// isRateLimit tells a registry's "too many requests" in an error's text:
// the 429 status text, Docker Hub's toomanyrequests code and "pull rate
// limit", or cutover's own "rate limited by" when it holds back from a
// registry.
func isRateLimit(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "toomanyrequests") || strings.Contains(m, "too many requests") || strings.Contains(m, "rate limit")
}

type pruneJSON struct {
	Status         string   `json:"status"`
	ImagesDeleted  []string `json:"images_deleted"`
	SpaceReclaimed uint64   `json:"space_reclaimed"`
}

// pruneTimeout bounds a prune that runs after its request was answered.
const pruneTimeout = 10 * time.Minute

// prune is POST /api/prune: remove dangling images. As in Image Watch it
// answers {"status":"pruning"} at once and prunes in the background;
// ?wait=true answers when done, with what was freed.
func (d *dashboard) prune(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	if d.Pruner == nil {
		textError(w, http.StatusNotImplemented, "pruning is not available")
		return
	}
	if wait, _ := strconv.ParseBool(r.URL.Query().Get("wait")); !wait {
		// One prune at a time: a click while one runs joins it.
		if d.pruning.CompareAndSwap(false, true) {
			go func() {
				defer d.pruning.Store(false)
				ctx, cancel := context.WithTimeout(context.Background(), pruneTimeout)
				defer cancel()
				if _, _, err := d.pruneNow(ctx); err != nil {
					d.s.deps.Log.Warn("prune failed", "err", err)
				}
			}()
		}
		writeJSON(w, http.StatusOK, statusJSON{Status: "pruning"})
		return
	}
	removed, freed, err := d.pruneNow(r.Context())
	if err != nil {
		textError(w, http.StatusBadGateway, "prune failed: "+oneLine(err.Error()))
		return
	}
	if removed == nil {
		removed = []string{}
	}
	writeJSON(w, http.StatusOK, pruneJSON{Status: "pruned", ImagesDeleted: removed, SpaceReclaimed: freed})
}

// pruneNow prunes, one prune at a time: the engine refuses a second one
// while the first runs.
func (d *dashboard) pruneNow(ctx context.Context) ([]string, uint64, error) {
	d.pruneMu.Lock()
	defer d.pruneMu.Unlock()
	removed, freed, err := d.Pruner.PruneDanglingImages(ctx)
	if err == nil {
		d.s.deps.Log.Info("pruned dangling images", "images", len(removed), "bytes", freed)
	}
	return removed, freed, err
}

package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

type passJSON struct {
	ID         string        `json:"id"`
	Trigger    string        `json:"trigger"`
	Started    time.Time     `json:"started"`
	Finished   time.Time     `json:"finished"`
	Scanned    int           `json:"scanned"`
	Updated    int           `json:"updated"`
	Failed     int           `json:"failed"`
	Skipped    int           `json:"skipped"`
	Containers []outcomeJSON `json:"containers"`
	// Units are the atomic Compose projects the pass updated, each as one.
	Units []unitJSON `json:"units,omitempty"`
}

type outcomeJSON struct {
	// Name is ENGINE/NAME for a container of one engine among several.
	Name      string        `json:"name"`
	Host      string        `json:"host,omitempty"`
	Image     string        `json:"image"`
	OldDigest string        `json:"old_digest"`
	NewDigest string        `json:"new_digest"`
	Result    engine.Result `json:"result"`
	Error     string        `json:"error,omitempty"`
	// OldVersion and NewVersion name the versions (a tag, or the image's
	// version label) when they are known.
	OldVersion string `json:"old_version,omitempty"`
	NewVersion string `json:"new_version,omitempty"`
	// Unit is the atomic project the container was updated with.
	Unit string `json:"unit,omitempty"`
}

// v1Update runs a pass over the watched containers, or those whose image
// repository is named in ?image= (comma separated, repeatable), and answers
// with its report; ?async=true answers 202 at once with the pass id, and
// ?force=true applies versions still in their cooldown.
func (s *Server) v1Update(w http.ResponseWriter, r *http.Request) {
	req, async, err := parseV1Update(r.URL.RawQuery)
	if err == nil {
		err = s.v1Hosts(&req, r.URL.Query())
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if async {
		id, err := s.deps.Passes.TriggerAsync(req)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "status": "queued"})
		return
	}
	rep, err := s.deps.Passes.Trigger(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, passReportJSON(rep))
}

// v1Hosts reads ?host= (comma separated, repeatable) against the engines'
// names: a name no engine has is refused, and with one engine, naming it
// limits nothing.
func (s *Server) v1Hosts(req *daemon.Request, q url.Values) error {
	if len(s.deps.Hosts) == 0 {
		return nil
	}
	for _, v := range q["host"] {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h == "" {
				continue
			}
			if !slices.Contains(s.deps.Hosts, h) {
				return badRequestf("host %q: no engine of that name; the engines are %s", h, strings.Join(s.deps.Hosts, ", "))
			}
			if len(s.deps.Hosts) > 1 {
				req.Hosts = append(req.Hosts, h)
			}
		}
	}
	return nil
}

// parseV1Update reads ?image= and ?async=. An image parameter that is
// present limits the pass even when its values are empty (?image=, as a
// script with an unset variable sends it): like Watchtower, cutover then
// updates nothing rather than everything. A pair that does not parse must
// not vanish either, for the same reason.
func parseV1Update(rawQuery string) (daemon.Request, bool, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return daemon.Request{}, false, badRequestf("malformed query: %v", err)
	}
	_, filtered := q["image"]
	req := daemon.Request{Filtered: filtered}
	for _, v := range q["image"] {
		for _, img := range strings.Split(v, ",") {
			img = strings.TrimSpace(img)
			if img == "" {
				continue
			}
			ref, err := engine.ParseReference(img)
			if err != nil {
				return daemon.Request{}, false, badRequestf("image %q: %v", img, err)
			}
			if ref.Pinned() {
				return daemon.Request{}, false, badRequestf("image %q: ?image= names repositories, and containers are matched without tag or digest: leave out %q", img, "@"+ref.Digest)
			}
			req.Images = append(req.Images, img)
		}
	}
	async, _ := strconv.ParseBool(q.Get("async"))
	if raw, ok := q["force"]; ok {
		// Unlike async, a force that does not parse is refused: read as
		// false it would leave a person wondering why nothing moved.
		v := raw[len(raw)-1]
		if req.Force, err = strconv.ParseBool(v); err != nil {
			return daemon.Request{}, false, badRequestf("force=%q: want true or false", v)
		}
	}
	return req, async, nil
}

func passReportJSON(r daemon.Report) passJSON {
	out := passJSON{ID: r.ID, Trigger: r.Trigger, Started: r.Started, Finished: r.Finished,
		Scanned: r.Scanned, Updated: r.Updated, Failed: r.Failed, Skipped: r.Skipped, Containers: []outcomeJSON{}}
	for _, o := range r.Outcomes {
		out.Containers = append(out.Containers, outcomeOf(o))
	}
	for _, u := range r.Units {
		out.Units = append(out.Units, unitOf(u))
	}
	return out
}

func outcomeOf(o engine.Outcome) outcomeJSON {
	oj := outcomeJSON{Name: o.FullName(), Host: o.Host, Image: o.Image, OldDigest: o.OldDigest, NewDigest: o.NewDigest, Result: o.Result,
		OldVersion: o.OldVersion, NewVersion: o.NewVersion}
	if o.Err != nil {
		oj.Error = o.Err.Error()
	}
	if o.Unit != nil {
		oj.Unit = o.Unit.Project
	}
	return oj
}

// unitJSON is how an atomic project's update ended, and each member's.
type unitJSON struct {
	Project    string        `json:"project"`
	Result     engine.Result `json:"result"`
	Error      string        `json:"error,omitempty"`
	Containers []outcomeJSON `json:"containers"`
}

func unitOf(u engine.UnitOutcome) unitJSON {
	uj := unitJSON{Project: u.Project, Result: u.Result, Containers: []outcomeJSON{}}
	if u.Err != nil {
		uj.Error = u.Err.Error()
	}
	for _, o := range u.Members {
		oj := outcomeOf(o)
		oj.Unit = ""
		uj.Containers = append(uj.Containers, oj)
	}
	return uj
}

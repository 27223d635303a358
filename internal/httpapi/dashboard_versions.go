package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// itemVersionsJSON is what a container runs and what it is offered, by
// version: fields beyond Image Watch's shape, after all of its own.
type itemVersionsJSON struct {
	CurrentVersion   string `json:"current_version"`
	OfferedVersion   string `json:"offered_version"`
	OfferedReference string `json:"offered_reference"`
	OfferedDigest    string `json:"offered_digest"`
	OfferedCreated   string `json:"offered_created,omitempty"`
	CooldownUntil    string `json:"cooldown_until,omitempty"`
	Skipped          bool   `json:"skipped"`
	Held             bool   `json:"held"`
	HeldReason       string `json:"held_reason"`
	Pinned           bool   `json:"pinned"`
	ReleaseURL       string `json:"release_url"`
	Policy           string `json:"policy"`
	Reason           string `json:"reason"`
}

// itemVersions describes cs as of the check at checkedAt: a cooldown is
// shown when it lasted past the check.
func itemVersions(cs engine.ContainerStatus, checkedAt time.Time) itemVersionsJSON {
	v := cs.Versions(checkedAt)
	return itemVersionsJSON{
		CurrentVersion: v.CurrentVersion, OfferedVersion: v.OfferedVersion, OfferedReference: v.OfferedReference,
		OfferedDigest: v.OfferedDigest, OfferedCreated: timeJSON(v.OfferedCreated), CooldownUntil: timeJSON(v.CooldownUntil),
		Skipped: v.Skipped, Held: v.Held, HeldReason: v.HeldReason, Pinned: v.Pinned, ReleaseURL: v.ReleaseURL,
		Policy: string(v.Policy), Reason: cs.Why(),
	}
}

func timeJSON(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// forceRequest is the optional body of the dashboard's update requests:
// {"force": true} applies versions still in their cooldown (and swaps
// paused containers).
type forceRequest struct {
	Force bool `json:"force"`
}

// groupUpdateRequest is the body of POST /api/groups/update.
type groupUpdateRequest struct {
	Image string `json:"image"`
	Force bool   `json:"force"`
}

func (g *groupUpdateRequest) setForce() { g.Force = true }

// forced is a request that can ask for force.
type forced interface{ setForce() }

func (f *forceRequest) setForce() { f.Force = true }

// decodeUpdate reads an update request's body into v, and ?force=true as
// its force field: either asks for it. A force value that is not a
// boolean is refused, never read as false.
func decodeUpdate[T any, P interface {
	*T
	forced
}](w http.ResponseWriter, r *http.Request, v P, emptyOK bool) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return badRequestf("malformed query: %v", err)
	}
	if raw, ok := q["force"]; ok {
		on, err := strconv.ParseBool(raw[len(raw)-1])
		if err != nil {
			return badRequestf("force=%q: want true or false", raw[len(raw)-1])
		}
		if err := decodeBody(w, r, v, emptyOK); err != nil {
			return err
		}
		if on {
			v.setForce()
		}
		return nil
	}
	return decodeBody(w, r, v, emptyOK)
}

type skipJSON struct {
	Container        string `json:"container"`
	Skipped          bool   `json:"skipped"`
	OfferedVersion   string `json:"offered_version,omitempty"`
	OfferedReference string `json:"offered_reference,omitempty"`
	OfferedDigest    string `json:"offered_digest,omitempty"`
}

// skip is POST /api/images/{id}/skip, which skips the version the
// container is offered now, and DELETE, which undoes it. Errors are JSON.
func (d *dashboard) skip(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method != http.MethodPost && r.Method != http.MethodDelete {
		w.Header().Set("Allow", "POST, DELETE")
		writeJSONError(w, http.StatusMethodNotAllowed, "method not allowed: POST skips the offered version, DELETE undoes the skip")
		return
	}
	if d.Skips == nil {
		writeJSONError(w, http.StatusNotImplemented, "skipping versions is not available")
		return
	}
	cs, ok := d.find(id)
	if !ok {
		writeJSONError(w, http.StatusNotFound, "container not found")
		return
	}
	name := cs.Container.FullName()
	if r.Method == http.MethodDelete {
		if err := d.Skips.Unskip(r.Context(), name); err != nil {
			d.skipFailed(w, name, err)
			return
		}
		writeJSON(w, http.StatusOK, skipJSON{Container: name})
		return
	}
	h, err := d.Skips.Skip(r.Context(), name, d.who(r))
	if err != nil {
		d.skipFailed(w, name, err)
		return
	}
	writeJSON(w, http.StatusOK, skipJSON{Container: name, Skipped: true, OfferedVersion: h.Version, OfferedReference: h.Image, OfferedDigest: h.Digest})
}

func (d *dashboard) skipFailed(w http.ResponseWriter, name string, err error) {
	status := statusOf(err)
	msg := err.Error()
	switch {
	case errors.Is(err, engine.ErrNoOffer):
		msg = "container '" + name + "' is offered no newer version: there is nothing to skip"
	case status == http.StatusInternalServerError:
		d.s.deps.Log.Error("skip failed", "container", name, "err", err)
	}
	writeJSONError(w, status, msg)
}

// who names the person behind a request, for a skip's reason: the
// session's user, else the key's holder.
func (d *dashboard) who(r *http.Request) string {
	if d.Auth.Sessions != nil {
		if c, err := r.Cookie(SessionCookie); err == nil {
			if user, ok := d.Auth.Sessions.Verify(c.Value); ok {
				return user
			}
		}
	}
	if d.Auth.Disabled {
		return "the dashboard"
	}
	return "the API key"
}

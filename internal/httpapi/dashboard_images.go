package httpapi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// imageGroupJSON and containerItemJSON are the shapes dashboard clients
// already read; field names and order are part of the API.
type imageGroupJSON struct {
	Image        string              `json:"image"`
	RemoteDigest string              `json:"remote_digest"`
	Status       engine.Status       `json:"status"`
	Containers   []containerItemJSON `json:"containers"`
}

type containerItemJSON struct {
	ContainerID   string `json:"container_id"`
	ContainerName string `json:"container_name"`
	// Host names the engine the container runs on when cutover watches
	// several; cutover's addition to Image Watch's shape.
	Host        string        `json:"host,omitempty"`
	LocalDigest string        `json:"local_digest"`
	Status      engine.Status `json:"status"`
	AutoUpdate  bool          `json:"auto_update"`
	Error       string        `json:"error,omitempty"`
	// Beyond Image Watch's shape: the container's state as the engine
	// reports it (running, exited, paused, restarting, created, dead),
	// whether it is a container or a Swarm service, and the versions it
	// runs and is offered.
	State engine.State `json:"state"`
	Kind  engine.Kind  `json:"kind"`
	itemVersionsJSON
}

type pullProgressJSON struct {
	Layer   string `json:"layer"`
	Current int64  `json:"current"`
	Total   int64  `json:"total"`
	Percent int    `json:"percent"`
	Status  string `json:"status"`
}

type statusJSON struct {
	Status string `json:"status"`
}

var updating = statusJSON{Status: "updating"}

// imageGroups renders the snapshot, sorted by image and then name, with
// each container's auto-update choice as it stands now.
func (d *dashboard) imageGroups(r engine.Report) []imageGroupJSON {
	out := []imageGroupJSON{}
	for _, g := range r.Groups {
		gj := imageGroupJSON{Image: g.Image, RemoteDigest: engine.ShortDigest(g.RemoteDigest), Status: g.Status, Containers: []containerItemJSON{}}
		for _, cs := range g.Containers {
			c := cs.Container
			if !shown(c) {
				continue
			}
			gj.Containers = append(gj.Containers, containerItemJSON{
				ContainerID:      engine.ShortID(c.ID),
				ContainerName:    strings.TrimPrefix(c.Name, "/"),
				Host:             c.Host,
				LocalDigest:      engine.ShortDigest(cs.LocalDigest),
				Status:           cs.Status,
				AutoUpdate:       d.AutoUpdate(c),
				Error:            d.lastError(c.FullName()),
				State:            c.State,
				Kind:             engine.KindOf(c),
				itemVersionsJSON: itemVersions(cs, r.CheckedAt),
			})
		}
		if len(gj.Containers) == 0 {
			continue
		}
		slices.SortStableFunc(gj.Containers, func(a, b containerItemJSON) int { return cmp.Compare(a.ContainerName, b.ContainerName) })
		out = append(out, gj)
	}
	slices.SortStableFunc(out, func(a, b imageGroupJSON) int { return cmp.Compare(a.Image, b.Image) })
	return out
}

func (d *dashboard) lastError(name string) string {
	if d.Errors == nil {
		return ""
	}
	return d.Errors.LastError(name)
}

func (d *dashboard) errorsVersion() uint64 {
	if d.Errors == nil {
		return 0
	}
	return d.Errors.ErrorsVersion()
}

// images is GET /api/images.
func (d *dashboard) images(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	rep := d.Statuses.Report()
	if !rep.CheckedAt.IsZero() {
		w.Header().Set("Last-Modified", rep.CheckedAt.UTC().Format(http.TimeFormat))
	}
	body := d.renderImages(rep)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// renderedImages is the last answer of GET /api/images and what it was
// rendered from: dashboards poll it, and rendering reads every container's
// toggle, sorts and encodes, while the snapshot changes once per check.
type renderedImages struct {
	mu   sync.Mutex
	from imagesSource
	body []byte
}

// imagesSource tells snapshots and toggle states apart. A snapshot is
// replaced whole, never changed in place, so its groups' backing array
// names it.
type imagesSource struct {
	groups    *engine.Group
	n         int
	checkedAt time.Time
	toggles   uint64 // the toggle store's version
	errors    uint64 // the last errors' version
}

// renderImages returns the answer for rep, rendering it again only when
// the snapshot or a toggle changed since the last one.
func (d *dashboard) renderImages(rep engine.Report) []byte {
	// Read before rendering: a toggle set meanwhile makes the next request
	// render again.
	from := imagesSource{n: len(rep.Groups), checkedAt: rep.CheckedAt, toggles: d.Toggles.TogglesVersion(), errors: d.errorsVersion()}
	if len(rep.Groups) > 0 {
		from.groups = &rep.Groups[0]
	}
	c := &d.shown
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body != nil && c.from == from {
		return c.body
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(d.imageGroups(rep))
	c.from, c.body = from, buf.Bytes()
	return c.body
}

// imageAction is /api/images/{id}/{action}.
func (d *dashboard) imageAction(w http.ResponseWriter, r *http.Request) {
	parts, ok := pathSegments(r, "/api/images/")
	if !ok || len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		textError(w, http.StatusBadRequest, "bad path: /api/images/{id}/{action}")
		return
	}
	id, action := parts[0], parts[1]
	switch action {
	case "update":
		if allow(w, r, http.MethodPost) {
			d.updateOne(w, r, id)
		}
	case "skip":
		d.skip(w, r, id)
	case "auto-update":
		if allow(w, r, http.MethodPost) {
			d.toggle(w, r, id)
		}
	case "progress":
		if allow(w, r, http.MethodGet) {
			d.progress(w, id)
		}
	default:
		textError(w, http.StatusBadRequest, "unknown action")
	}
}

func (d *dashboard) updateOne(w http.ResponseWriter, r *http.Request, id string) {
	var req forceRequest
	if err := decodeUpdate(w, r, &req, true); err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return
	}
	cs, ok := d.find(id)
	if !ok && d.Progress.Busy(id) {
		// Mid-swap the container is briefly under another name: the update
		// asked for is the one under way.
		writeJSON(w, http.StatusOK, updating)
		return
	}
	if !ok {
		textError(w, http.StatusNotFound, "container not found")
		return
	}
	d.start(w, []engine.Container{cs.Container}, req.Force)
}

// start updates the containers not already being updated, and answers
// "updating" either way: the update asked for is under way.
func (d *dashboard) start(w http.ResponseWriter, cs []engine.Container, force bool) {
	var names []string
	var todo []engine.Container
	for _, c := range cs {
		if !d.Progress.Busy(c.FullName()) {
			names = append(names, c.FullName())
			todo = append(todo, c)
		}
	}
	if len(names) > 0 {
		d.remember(todo...)
		if err := d.Updater.UpdateNow(names, force); err != nil {
			d.s.deps.Log.Warn("dashboard update not started", "containers", names, "err", err)
			textError(w, http.StatusServiceUnavailable, "update not started: "+err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, updating)
}

type toggleRequest struct {
	AutoUpdate *bool `json:"auto_update"`
}

// toggle sets a container's auto-update choice to the value sent, or flips
// it when the body is empty or leaves the value out.
func (d *dashboard) toggle(w http.ResponseWriter, r *http.Request, id string) {
	var req toggleRequest
	if err := decodeBody(w, r, &req, true); err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return
	}
	cs, ok := d.find(id)
	if !ok {
		textError(w, http.StatusNotFound, "container not found")
		return
	}
	on := !d.AutoUpdate(cs.Container)
	if req.AutoUpdate != nil {
		on = *req.AutoUpdate
	}
	if err := d.Toggles.SetAutoUpdate(cs.Container.FullName(), on); err != nil {
		d.s.deps.Log.Error("cannot save auto-update choice", "container", cs.Container.FullName(), "err", err)
		textError(w, http.StatusInternalServerError, "cannot save the choice: "+err.Error())
		return
	}
	d.s.deps.Log.Info("auto-update set from the dashboard", "container", cs.Container.FullName(), "on", on)
	writeJSON(w, http.StatusOK, map[string]bool{"auto_update": on})
}

func (d *dashboard) progress(w http.ResponseWriter, id string) {
	name, ok := d.resolve(id)
	if !ok {
		textError(w, http.StatusNotFound, "container not found")
		return
	}
	p, ok := d.Progress.Get(name)
	if !ok {
		textError(w, http.StatusNotFound, "no progress")
		return
	}
	writeJSON(w, http.StatusOK, progressOf(p))
}

// groupUpdate is POST /api/groups/{image}/update and POST /api/groups/update
// with {"image": ...}. In the path form the image is everything between the
// prefix and the final /update, escaped or not.
func (d *dashboard) groupUpdate(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/api/groups/")
	var image string
	switch {
	case rest == "update":
	case strings.HasSuffix(rest, "/update") && len(rest) > len("/update"):
		image = strings.TrimSuffix(rest, "/update")
	default:
		textError(w, http.StatusBadRequest, "bad path: /api/groups/{image}/update")
		return
	}
	if !allow(w, r, http.MethodPost) {
		return
	}
	var force bool
	if image == "" {
		var req groupUpdateRequest
		if err := decodeUpdate(w, r, &req, false); err != nil {
			textError(w, http.StatusBadRequest, err.Error())
			return
		}
		if image = strings.TrimSpace(req.Image); image == "" {
			textError(w, http.StatusBadRequest, `missing field "image"`)
			return
		}
		force = req.Force
	} else {
		var req forceRequest
		if err := decodeUpdate(w, r, &req, true); err != nil {
			textError(w, http.StatusBadRequest, err.Error())
			return
		}
		force = req.Force
	}
	want := image
	if ref, err := engine.ParseReference(image); err == nil {
		want = ref.Normal
	}
	var cs []engine.Container
	for _, g := range d.Statuses.Report().Groups {
		if g.Image != want {
			continue
		}
		for _, c := range g.Containers {
			if shown(c.Container) {
				cs = append(cs, c.Container)
			}
		}
	}
	if len(cs) == 0 {
		textError(w, http.StatusNotFound, "image not found")
		return
	}
	slices.SortFunc(cs, func(a, b engine.Container) int { return cmp.Compare(a.Name, b.Name) })
	d.start(w, cs, force)
}

func progressOf(p daemon.Progress) pullProgressJSON {
	return pullProgressJSON{Layer: p.Layer, Current: p.Current, Total: p.Total, Percent: p.Percent, Status: p.Status}
}

// decodeBody reads a small JSON object. Dashboard clients do not always
// send a Content-Type, so none is required; an empty body is allowed only
// when emptyOK.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, emptyOK bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return badRequestf("request body too large: the limit is %d KiB", maxBody>>10)
	case err != nil:
		return badRequestf("cannot read the request body: %v", err)
	}
	switch strings.TrimSpace(string(body)) {
	case "":
		if emptyOK {
			return nil
		}
		return badRequestf("empty body: send a JSON object")
	case "null":
		// It would decode to nothing and read as "no values sent".
		return badRequestf("the body must be a JSON object, not null")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return badRequestf("malformed JSON: unexpected data after the object")
	}
	return nil
}

// checkedAt writes a check time for clients, or "" before the first check.
func checkedAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

package httpapi

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/cutover/cutover/internal/engine"
)

// projectJSON is one Compose project on the dashboard: its containers,
// whatever their images, and whether it is updated as one atomic unit.
type projectJSON struct {
	Project    string        `json:"project"`
	Status     engine.Status `json:"status"`
	Atomic     bool          `json:"atomic"`
	Containers []projectItem `json:"containers"`
}

// projectItem is a container of a project: the fields of /api/images'
// containers, with its service and image.
type projectItem struct {
	ContainerID   string        `json:"container_id"`
	ContainerName string        `json:"container_name"`
	Host          string        `json:"host,omitempty"`
	Service       string        `json:"service"`
	Image         string        `json:"image"`
	LocalDigest   string        `json:"local_digest"`
	RemoteDigest  string        `json:"remote_digest"`
	Status        engine.Status `json:"status"`
	AutoUpdate    bool          `json:"auto_update"`
	Error         string        `json:"error,omitempty"`
}

// projects is GET /api/projects: the snapshot's containers grouped by
// Compose project, sorted by project and then service. Containers in no
// project are not listed.
func (d *dashboard) projects(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	writeJSON(w, http.StatusOK, d.projectGroups(d.Statuses.Report()))
}

func (d *dashboard) projectGroups(r engine.Report) []projectJSON {
	byName := map[string]*projectJSON{}
	statuses := map[string][]engine.ContainerStatus{}
	for _, g := range r.Groups {
		for _, cs := range g.Containers {
			c := cs.Container
			if engine.Project(c) == "" || !shown(c) {
				continue
			}
			// A project of one engine among several is ENGINE/PROJECT.
			p := engine.FullName(c.Host, engine.Project(c))
			pj := byName[p]
			if pj == nil {
				pj = &projectJSON{Project: p, Containers: []projectItem{}}
				byName[p] = pj
			}
			pj.Atomic = pj.Atomic || cs.Unit != ""
			statuses[p] = append(statuses[p], cs)
			pj.Containers = append(pj.Containers, projectItem{
				ContainerID:   engine.ShortID(c.ID),
				ContainerName: strings.TrimPrefix(c.Name, "/"),
				Host:          c.Host,
				Service:       c.Labels[engine.ComposeServiceLabel],
				Image:         g.Image,
				LocalDigest:   engine.ShortDigest(cs.LocalDigest),
				RemoteDigest:  engine.ShortDigest(g.RemoteDigest),
				Status:        cs.Status,
				AutoUpdate:    d.AutoUpdate(c),
				Error:         d.lastError(c.FullName()),
			})
		}
	}
	out := make([]projectJSON, 0, len(byName))
	for p, pj := range byName {
		pj.Status = engine.StatusOf(statuses[p])
		slices.SortStableFunc(pj.Containers, func(a, b projectItem) int {
			return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.ContainerName, b.ContainerName))
		})
		out = append(out, *pj)
	}
	slices.SortFunc(out, func(a, b projectJSON) int { return cmp.Compare(a.Project, b.Project) })
	return out
}

// projectAction is POST /api/projects/{project}/update: it updates every
// container of the project the dashboard lists, as a person asked; an
// atomic project goes as one unit, forward or back.
func (d *dashboard) projectAction(w http.ResponseWriter, r *http.Request) {
	// A project of one engine among several is ENGINE/PROJECT, its slash
	// escaped in the path.
	parts, ok := pathSegments(r, "/api/projects/")
	if !ok || len(parts) != 2 || parts[0] == "" || parts[1] != "update" || strings.Count(parts[0], "/") > 1 {
		textError(w, http.StatusBadRequest, "bad path: /api/projects/{project}/update")
		return
	}
	project := parts[0]
	if !allow(w, r, http.MethodPost) {
		return
	}
	var req forceRequest
	if err := decodeUpdate(w, r, &req, true); err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return
	}
	var cs []engine.Container
	for _, g := range d.Statuses.Report().Groups {
		for _, c := range g.Containers {
			if engine.FullName(c.Container.Host, engine.Project(c.Container)) == project && shown(c.Container) {
				cs = append(cs, c.Container)
			}
		}
	}
	if len(cs) == 0 {
		textError(w, http.StatusNotFound, "project not found")
		return
	}
	slices.SortFunc(cs, func(a, b engine.Container) int { return cmp.Compare(a.Name, b.Name) })
	d.start(w, cs, req.Force)
}

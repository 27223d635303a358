package notify

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Data is what a template sees with --notification-report: Watchtower's
// notification data, field for field, so its templates keep working.
// Without --notification-report a template sees Entries alone, as
// Watchtower's did.
type Data struct {
	Title   string
	Host    string
	Entries []Entry
	// Report is nil for a message that is not about a pass (the startup
	// message), so {{if .Report}} tells the two apart.
	Report *Report
}

// Report holds the containers of a pass by what happened to them. Scanned
// holds every container that was checked, in its final state; Skipped ones
// could not be checked and are not in Scanned.
type Report struct {
	Scanned []ContainerReport
	Updated []ContainerReport
	Failed  []ContainerReport
	Skipped []ContainerReport
	Stale   []ContainerReport
	Fresh   []ContainerReport
	// Units are the atomic Compose projects the pass updated, each as one.
	Units []UnitReport
}

// All lists every container of the report once, ordered by id.
func (r *Report) All() []ContainerReport {
	seen := map[ContainerID]bool{}
	var all []ContainerReport
	for _, list := range [][]ContainerReport{r.Updated, r.Failed, r.Skipped, r.Stale, r.Fresh, r.Scanned} {
		for _, c := range list {
			if !seen[c.ID] {
				seen[c.ID] = true
				all = append(all, c)
			}
		}
	}
	sortByID(all)
	return all
}

func sortByID(cs []ContainerReport) {
	slices.SortStableFunc(cs, func(a, b ContainerReport) int { return strings.Compare(string(a.ID), string(b.ID)) })
}

// ContainerReport is one container in a Report.
type ContainerReport struct {
	ID ContainerID
	// Name is the engine's name with its leading slash, as Watchtower
	// showed it.
	Name string
	// ImageName is the image the container was created from, ":latest"
	// added when it has no colon at all.
	ImageName string
	// CurrentImageID and LatestImageID are registry digests: the one the
	// container runs and the newest the registry has. Watchtower showed the
	// local image ids, which it learnt by pulling; cutover checks without
	// pulling.
	CurrentImageID ImageID
	LatestImageID  ImageID
	Error          string
	// State is Scanned, Updated, Failed, Skipped, Stale or Fresh.
	State string
	// Versions are cutover's, beyond Watchtower's data (versions.go).
	Versions
}

// ImageID is an image digest or id.
type ImageID string

// ShortID is the first twelve hex digits, without the "sha256:" prefix.
func (i ImageID) ShortID() string { return shortID(string(i)) }

// ContainerID is a container's full id.
type ContainerID string

// ShortID is the id's first twelve hex digits.
func (i ContainerID) ShortID() string { return shortID(string(i)) }

// shortID cuts an id to twelve characters after an algorithm prefix;
// "sha256:" itself does not count, any other prefix does.
func shortID(id string) string {
	start, n := 0, 12
	if i := strings.IndexByte(id, ':'); i >= 0 {
		if id[:i] == "sha256" {
			start = i + 1
		} else {
			n += i + 1
		}
	}
	if len(id) < start+n {
		return id
	}
	return id[start : start+n]
}

// Entry is one line of what happened, as Watchtower's log entries were.
type Entry struct {
	Time    time.Time
	Level   Level
	Message string
	// Data holds the line's fields; always a map, possibly empty.
	Data map[string]any
}

// MarshalJSON writes the shape Watchtower's json.v1 template produced.
func (d Data) MarshalJSON() ([]byte, error) {
	entries := make([]map[string]any, len(d.Entries))
	for i, e := range d.Entries {
		data := e.Data
		if data == nil {
			data = map[string]any{}
		}
		entries[i] = map[string]any{"level": e.Level, "message": e.Message, "data": data, "time": e.Time}
	}
	var report map[string]any
	if d.Report != nil {
		report = map[string]any{
			"scanned": reportJSON(d.Report.Scanned),
			"updated": reportJSON(d.Report.Updated),
			"failed":  reportJSON(d.Report.Failed),
			"skipped": reportJSON(d.Report.Skipped),
			"stale":   reportJSON(d.Report.Stale),
			"fresh":   reportJSON(d.Report.Fresh),
		}
	}
	return json.Marshal(map[string]any{"report": report, "title": d.Title, "host": d.Host, "entries": entries})
}

func reportJSON(cs []ContainerReport) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		out[i] = map[string]any{
			"id":             c.ID.ShortID(),
			"name":           c.Name,
			"currentImageId": c.CurrentImageID.ShortID(),
			"latestImageId":  c.LatestImageID.ShortID(),
			"imageName":      c.ImageName,
			"state":          c.State,
		}
		if c.Error != "" {
			out[i]["error"] = c.Error
		}
	}
	return out
}

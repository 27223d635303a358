package notify

import (
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// Data is what a template sees: Watchtower's shape.
type Data struct {
	Title   string
	Host    string
	Report  *Report
	Entries []Entry
}

// Report holds the containers of a pass by what happened to them.
type Report struct {
	Scanned []ContainerReport
	Updated []ContainerReport
	Failed  []ContainerReport
	Skipped []ContainerReport
	Stale   []ContainerReport
	Fresh   []ContainerReport
}

// ContainerReport is one container in a Report.
type ContainerReport struct {
	ID             string
	Name           string
	ImageName      string
	CurrentImageID ImageID
	LatestImageID  ImageID
	Error          string
	State          string
}

// ImageID is a digest, with Watchtower's ShortID for templates.
type ImageID string

// ShortID is the digest's first twelve hex digits.
func (i ImageID) ShortID() string {
	s := string(i)
	if len(s) > 7 && s[:7] == "sha256:" {
		s = s[7:]
	}
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}

// String is the full digest.
func (i ImageID) String() string { return string(i) }

// Entry is one line of what happened, as Watchtower's log entries were.
type Entry struct {
	Time    time.Time
	Level   string
	Message string
}

// buildData turns a pass into template data. findings are the stale
// containers the pass left alone that were not notified before.
func buildData(r daemon.Report, checked engine.Report, findings []engine.ContainerStatus, host string) Data {
	rep := &Report{}
	byName := map[string]engine.ContainerStatus{}
	for _, g := range checked.Groups {
		for _, c := range g.Containers {
			byName[c.Container.Name] = c
			cr := ContainerReport{ID: engine.ShortID(c.Container.ID), Name: c.Container.Name, ImageName: g.Image,
				CurrentImageID: ImageID(c.LocalDigest), LatestImageID: ImageID(g.RemoteDigest), State: "Scanned", Error: c.Reason}
			rep.Scanned = append(rep.Scanned, cr)
			if c.Status == engine.StatusUpToDate {
				cr.State = "Fresh"
				rep.Fresh = append(rep.Fresh, cr)
			}
		}
	}
	var entries []Entry
	at := r.Finished
	for _, o := range r.Outcomes {
		cr := ContainerReport{Name: o.Container, ImageName: o.Image, CurrentImageID: ImageID(o.OldDigest), LatestImageID: ImageID(o.NewDigest)}
		if cs, ok := byName[o.Container]; ok {
			cr.ID = engine.ShortID(cs.Container.ID)
		}
		if o.Err != nil {
			cr.Error = o.Err.Error()
		}
		switch o.Result {
		case engine.ResultUpdated:
			cr.State = "Updated"
			rep.Updated = append(rep.Updated, cr)
			entries = append(entries, Entry{at, "info", "Updated " + o.Container + " (" + o.Image + ") to " + cr.LatestImageID.ShortID()})
		case engine.ResultFailed, engine.ResultRolledBack:
			cr.State = "Failed"
			rep.Failed = append(rep.Failed, cr)
			entries = append(entries, Entry{at, "error", "Update of " + o.Container + " failed: " + cr.Error})
		case engine.ResultSkipped:
			cr.State = "Skipped"
			rep.Skipped = append(rep.Skipped, cr)
		}
	}
	for _, c := range findings {
		ref, _ := engine.ParseReference(c.Container.Image)
		rep.Stale = append(rep.Stale, ContainerReport{ID: engine.ShortID(c.Container.ID), Name: c.Container.Name, ImageName: ref.Normal,
			CurrentImageID: ImageID(c.LocalDigest), State: "Stale"})
		entries = append(entries, Entry{at, "info", "Found new image for " + c.Container.Name + " (" + ref.Normal + ")"})
	}
	return Data{Title: "cutover updates on " + host, Host: host, Report: rep, Entries: entries}
}

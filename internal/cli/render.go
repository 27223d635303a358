package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/cutover/cutover/internal/engine"
)

type groupJSON struct {
	Image        string          `json:"image"`
	RemoteDigest string          `json:"remote_digest"`
	Status       engine.Status   `json:"status"`
	Reason       string          `json:"reason,omitempty"`
	Containers   []containerJSON `json:"containers"`
}

type containerJSON struct {
	ContainerID   string        `json:"container_id"`
	ContainerName string        `json:"container_name"`
	Kind          engine.Kind   `json:"kind"`
	LocalDigest   string        `json:"local_digest"`
	Status        engine.Status `json:"status"`
	// Reason is why the status is unknown, else why the offered version
	// waits (cooldown, skip, hold, pin) or none is offered as the policy
	// asks.
	Reason     string `json:"reason,omitempty"`
	AutoUpdate bool   `json:"auto_update"`
	// Tasks is a service's running and desired tasks, "2/3".
	Tasks string `json:"tasks,omitempty"`
	versionJSON
}

// versionJSON is what a container runs and what it is offered, by version,
// with the names /api/images uses.
type versionJSON struct {
	Policy           string `json:"policy,omitempty"`
	CurrentVersion   string `json:"current_version,omitempty"`
	OfferedVersion   string `json:"offered_version,omitempty"`
	OfferedReference string `json:"offered_reference,omitempty"`
	OfferedDigest    string `json:"offered_digest,omitempty"`
	OfferedCreated   string `json:"offered_created,omitempty"`
	CooldownUntil    string `json:"cooldown_until,omitempty"`
	ReleaseURL       string `json:"release_url,omitempty"`
	Pinned           bool   `json:"pinned"`
	Held             bool   `json:"held"`
	Skipped          bool   `json:"skipped"`
	HeldReason       string `json:"held_reason,omitempty"`
}

func versionsOf(cs engine.ContainerStatus, checkedAt time.Time) versionJSON {
	v := cs.Versions(checkedAt)
	return versionJSON{
		Policy: string(v.Policy), CurrentVersion: v.CurrentVersion, OfferedVersion: v.OfferedVersion,
		OfferedReference: v.OfferedReference, OfferedDigest: v.OfferedDigest, OfferedCreated: rfc3339(v.OfferedCreated),
		CooldownUntil: rfc3339(v.CooldownUntil), ReleaseURL: v.ReleaseURL, Pinned: v.Pinned, Held: v.Held,
		Skipped: v.Skipped, HeldReason: v.HeldReason,
	}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func reportJSON(r engine.Report) []groupJSON {
	out := make([]groupJSON, 0, len(r.Groups))
	for _, g := range r.Groups {
		gj := groupJSON{Image: g.Image, RemoteDigest: engine.ShortDigest(g.RemoteDigest), Status: g.Status, Reason: g.Reason, Containers: []containerJSON{}}
		for _, c := range g.Containers {
			gj.Containers = append(gj.Containers, containerJSON{
				ContainerID:   engine.ShortID(c.Container.ID),
				ContainerName: c.Container.FullName(),
				Kind:          engine.KindOf(c.Container),
				LocalDigest:   engine.ShortDigest(c.LocalDigest),
				Status:        c.Status,
				Reason:        c.Why(),
				AutoUpdate:    c.AutoUpdate,
				Tasks:         tasks(c.Container),
				versionJSON:   versionsOf(c, r.CheckedAt),
			})
		}
		out = append(out, gj)
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeReportTable(w io.Writer, r engine.Report, color bool) {
	if len(r.Groups) == 0 {
		fmt.Fprintln(w, "no running containers")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, g := range r.Groups {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s\tremote %s\t%s\n", g.Image, engine.ShortDigest(g.RemoteDigest), paint(string(g.Status), color))
		for _, c := range g.Containers {
			name := c.Container.FullName()
			if c.Container.IsService() {
				name += " (service, " + tasks(c.Container) + " tasks)"
			}
			line := fmt.Sprintf("  %s\t%s\tlocal %s\t%s\t%s", name, engine.ShortID(c.Container.ID), engine.ShortDigest(c.LocalDigest), paint(string(c.Status), color), versionLine(c))
			if why := c.Why(); why != "" {
				line += "\t(" + why + ")"
			}
			fmt.Fprintln(tw, line)
		}
	}
	tw.Flush()
}

// versionLine says which version a container runs and which it is offered:
// "1.4.2 -> 1.9.0", "latest" when nothing is offered.
func versionLine(c engine.ContainerStatus) string {
	cur := c.CurrentVersion
	if cur == "" {
		cur = "-"
	}
	o := c.Offer
	switch {
	case o == nil:
		return cur
	case o.Version == c.CurrentVersion || o.Version == "":
		// The same tag, a new digest.
		return cur + " -> " + engine.ShortDigest(o.Digest)
	}
	return cur + " -> " + o.Version
}

// tasks writes a service's running and desired tasks, "" for a container.
func tasks(c engine.Container) string {
	if c.Service == nil {
		return ""
	}
	return fmt.Sprintf("%d/%d", c.Service.Running, c.Service.Desired)
}

// paint colours a status word for a terminal.
func paint(s string, color bool) string {
	if !color {
		return s
	}
	code := map[string]string{"uptodate": "32", "outdated": "33", "partial": "33", "unknown": "90", "updated": "32", "failed": "31", "rolled_back": "31"}[s]
	if code == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

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
	LocalDigest   string        `json:"local_digest"`
	Status        engine.Status `json:"status"`
	Reason        string        `json:"reason,omitempty"`
	AutoUpdate    bool          `json:"auto_update"`
}

func reportJSON(r engine.Report) []groupJSON {
	out := make([]groupJSON, 0, len(r.Groups))
	for _, g := range r.Groups {
		gj := groupJSON{Image: g.Image, RemoteDigest: engine.ShortDigest(g.RemoteDigest), Status: g.Status, Reason: g.Reason, Containers: []containerJSON{}}
		for _, c := range g.Containers {
			gj.Containers = append(gj.Containers, containerJSON{
				ContainerID:   engine.ShortID(c.Container.ID),
				ContainerName: c.Container.Name,
				LocalDigest:   engine.ShortDigest(c.LocalDigest),
				Status:        c.Status,
				Reason:        c.Reason,
				AutoUpdate:    c.AutoUpdate,
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
			line := fmt.Sprintf("  %s\t%s\tlocal %s\t%s", c.Container.Name, engine.ShortID(c.Container.ID), engine.ShortDigest(c.LocalDigest), paint(string(c.Status), color))
			if c.Reason != "" {
				line += "\t(" + c.Reason + ")"
			}
			fmt.Fprintln(tw, line)
		}
	}
	tw.Flush()
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

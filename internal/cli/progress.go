package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/cutover/cutover/internal/engine"
)

// progressPrinter prints a line per container as the update goes, and on a
// terminal a progress bar per pull that redraws in place.
type progressPrinter struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	barShown bool
	layers   map[string]map[string]engine.PullProgress // image -> layer -> last report
}

func newProgressPrinter(w io.Writer, terminal bool) *progressPrinter {
	return &progressPrinter{w: w, terminal: terminal, layers: map[string]map[string]engine.PullProgress{}}
}

// Emit implements engine.Sink.
func (p *progressPrinter) Emit(e engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Progress != nil {
		if p.terminal {
			p.drawBar(e.Image, *e.Progress)
		}
		return
	}
	line := eventLine(e)
	if line == "" {
		return
	}
	p.clearBar()
	fmt.Fprintln(p.w, line)
}

func eventLine(e engine.Event) string {
	switch {
	case e.Container == "":
		return ""
	case e.Phase == engine.PhasePulling:
		return e.FullName() + ": pulling " + e.Image
	case (e.Phase == engine.PhaseRecreating || e.Phase == engine.PhaseHealthCheck) && e.Message != "":
		// A service's update, which Swarm carries out, says what it does.
		return e.FullName() + ": " + e.Message
	case e.Phase == engine.PhaseRecreating:
		return e.FullName() + ": recreating on " + e.Image
	case e.Phase == engine.PhaseHealthCheck:
		return e.FullName() + ": waiting for health"
	case e.Phase == engine.PhaseRolledBack:
		return fmt.Sprintf("%s: rolled back: %v", e.FullName(), e.Err)
	case e.Phase == engine.PhaseFailed:
		return fmt.Sprintf("%s: failed: %v", e.FullName(), e.Err)
	case e.Phase == engine.PhaseSkipped:
		return fmt.Sprintf("%s: skipped: %v", e.FullName(), e.Err)
	case e.Phase == engine.PhaseDone && e.Message != "":
		return e.FullName() + ": " + strings.ReplaceAll(e.Message, "_", " ")
	}
	return ""
}

func (p *progressPrinter) drawBar(image string, pr engine.PullProgress) {
	if p.layers[image] == nil {
		p.layers[image] = map[string]engine.PullProgress{}
	}
	if pr.Total > 0 && pr.Status == "Downloading" {
		p.layers[image][pr.Layer] = pr
	}
	var cur, total int64
	for _, l := range p.layers[image] {
		cur += l.Current
		total += l.Total
	}
	if total == 0 {
		return
	}
	const width = 30
	done := int(cur * width / total)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %s/%s", image, strings.Repeat("#", done), strings.Repeat(" ", width-done), cur*100/total, bytes(cur), bytes(total))
	p.barShown = true
}

func (p *progressPrinter) clearBar() {
	if p.barShown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.barShown = false
	}
}

func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearBar()
}

func bytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

func writePlan(w io.Writer, plan engine.Plan) {
	if len(plan.Steps) == 0 {
		fmt.Fprintln(w, "nothing to update")
	}
	for _, s := range plan.Steps {
		unit := ""
		if s.Unit != "" {
			unit = ", with atomic project " + s.Unit
		}
		fmt.Fprintf(w, "would update %s (%s%s): %s -> %s%s\n", s.Container.FullName(), s.Image, unit, engine.ShortDigest(s.FromDigest), engine.ShortDigest(s.ToDigest), versionChange(s.FromVersion, s.ToVersion))
	}
	for _, s := range plan.Skipped {
		fmt.Fprintf(w, "would skip %s (%s): %s\n", s.Container.FullName(), s.Image, s.Reason)
	}
	fmt.Fprintf(w, "dry run: %d scanned, %d to update, %d skipped, %d up to date; nothing was changed\n", plan.Scanned, len(plan.Steps), len(plan.Skipped), len(plan.Fresh))
}

// versionChange says ", version 1.4.2 -> 1.9.0" when the versions tell
// more than the digests, else "".
func versionChange(from, to string) string {
	if to == "" || from == to {
		return ""
	}
	if from == "" {
		from = "?"
	}
	return ", version " + from + " -> " + to
}

func writeSummary(w io.Writer, s engine.Summary) {
	for _, o := range s.Outcomes {
		switch {
		case o.Result == engine.ResultUpdated:
			fmt.Fprintf(w, "updated %s (%s): %s -> %s%s in %s\n", o.FullName(), o.Image, engine.ShortDigest(o.OldDigest), engine.ShortDigest(o.NewDigest), versionChange(o.OldVersion, o.NewVersion), o.Duration.Round(1e7))
		case o.Result == engine.ResultSkipped && o.Container != "" && o.Err != nil:
			fmt.Fprintf(w, "skipped %s: %v\n", o.FullName(), o.Err)
		case o.Result == engine.ResultFailed && o.Container == "" && o.Err != nil:
			// An engine that did not answer, among several.
			fmt.Fprintf(w, "failed: %v\n", o.Err)
		}
	}
	for _, u := range s.Units {
		fmt.Fprintln(w, unitLine(u))
	}
	fmt.Fprintf(w, "%d scanned, %d updated, %d failed, %d skipped\n", s.Scanned, s.Updated, s.Failed, s.Skipped)
}

// unitLine says how an atomic project's update ended, and what became of
// each member.
func unitLine(u engine.UnitOutcome) string {
	var members []string
	for _, o := range u.Members {
		members = append(members, o.FullName()+" "+strings.ReplaceAll(string(o.Result), "_", " "))
	}
	line := fmt.Sprintf("atomic project %s: %s (%s)", u.Project, strings.ReplaceAll(string(u.Result), "_", " "), strings.Join(members, ", "))
	if u.Err != nil {
		line += ": " + u.Err.Error()
	}
	return line
}

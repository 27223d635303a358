package notify

import (
	"strings"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// UnitReport is how an atomic Compose project's update ended, as one. The
// built-in templates, Watchtower's, do not show it: each member's row says
// its part ("rolled back with atomic project shop: ..."), and the entries
// have a line per unit; a template of one's own can range over
// .Report.Units.
type UnitReport struct {
	Project string
	// Result is "updated", "rolled back", "failed" or "skipped".
	Result string
	Error  string
	// Containers are its members, in swap order.
	Containers []string
}

func unitReports(units []engine.UnitOutcome) []UnitReport {
	var out []UnitReport
	for _, u := range units {
		r := UnitReport{Project: u.Project, Result: strings.ReplaceAll(string(u.Result), "_", " "), Containers: u.Names()}
		if u.Err != nil {
			r.Error = u.Err.Error()
		}
		out = append(out, r)
	}
	return out
}

// unitEntries are the lines that say how each atomic project of a pass
// ended, as one.
func unitEntries(units []engine.UnitOutcome, at time.Time) []Entry {
	var out []Entry
	for _, u := range units {
		names := strings.Join(u.Names(), ", ")
		switch u.Result {
		case engine.ResultUpdated:
			out = append(out, entry(at, InfoLevel, "Updated atomic project "+u.Project+" as one: "+names))
		case engine.ResultRolledBack:
			out = append(out, entry(at, ErrorLevel, "Rolled back atomic project "+u.Project+" as one ("+names+"): "+errText(u.Err)))
		case engine.ResultFailed:
			out = append(out, entry(at, ErrorLevel, "Update of atomic project "+u.Project+" failed ("+names+"): "+errText(u.Err)))
		}
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return "no reason given"
	}
	return err.Error()
}

package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/notify"
	"github.com/cutover/cutover/internal/version"
)

// startupMessage says what is watched, what will be auto-updated and why,
// and when the first pass runs: the lines are logged, and sent as the
// startup notification, as Watchtower's were.
func startupMessage(ctx context.Context, a *app, f daemon.Filter, p daemon.Policy, policyLine string, o *serveOptions, s daemon.Schedule, n *notify.Notifier) []notify.Entry {
	now := time.Now()
	var out []notify.Entry
	add := func(msg string, data map[string]any) {
		if data == nil {
			data = map[string]any{}
		}
		out = append(out, notify.Entry{Time: now, Level: notify.InfoLevel, Message: msg, Data: data})
	}
	add("cutover "+version.Version, nil)
	if n != nil {
		add("Using notifications: "+strings.Join(n.Names(), ", "), nil)
	} else {
		add("Using no notifications", nil)
	}
	add(filterDescription(f), nil)
	if summary := watchSummary(ctx, a, f, p, o); summary != "" {
		add(summary, nil)
	}
	add(policyLine, nil)
	switch {
	case o.runOnce:
		add("Running a one time update.", nil)
	default:
		next := s.Next(now)
		when := "Scheduling first run: " + next.Format("2006-01-02 15:04:05 -0700 MST")
		if o.httpAPIUpdate && !o.httpAPIPeriodicPolls {
			when += " (periodic passes " + s.String() + " only check: updates come through /v1/update; --http-api-periodic-polls to update on schedule)"
		} else {
			when += " (periodic passes " + s.String() + ")"
		}
		add(when, map[string]any{"next": next.Format(time.RFC3339)})
		add("Note that the first check will be performed in "+untilWords(next.Sub(now)), nil)
		if o.httpAPIUpdate {
			add("The HTTP API is enabled at "+o.listen+".", nil)
		}
	}
	return out
}

// watchSummary counts the watched containers and those a periodic pass
// would update, by reason.
func watchSummary(ctx context.Context, a *app, f daemon.Filter, p daemon.Policy, o *serveOptions) string {
	cs, err := a.fleet.Containers(ctx, f.IncludeStopped || f.IncludeRestarting)
	if err != nil {
		a.log.Warn("cannot list containers for the startup summary", "err", err)
		return ""
	}
	watched, auto := 0, 0
	why := map[string]int{}
	for _, c := range cs {
		if !f.Admits(c) {
			continue
		}
		watched++
		if on, reason := p.AutoUpdate(c); on {
			auto++
			why[reason]++
		}
	}
	var reasons []string
	for _, r := range []string{"toggle", "label", "default"} {
		if why[r] > 0 {
			reasons = append(reasons, fmt.Sprintf("%d by %s", why[r], r))
		}
	}
	msg := fmt.Sprintf("watching %d containers, auto-updating %d", watched, auto)
	if len(reasons) > 0 {
		msg += " (" + strings.Join(reasons, ", ") + ")"
	}
	switch {
	case o.monitorOnly:
		msg += "; --monitor-only: no container will be updated"
	case auto < watched:
		msg += fmt.Sprintf("; the other %d are only monitored", watched-auto)
	}
	return msg
}

// attrs turns an entry's data into log attributes.
func attrs(data map[string]any) []any {
	var out []any
	for k, v := range data {
		out = append(out, k, v)
	}
	return out
}

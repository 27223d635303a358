package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule says when periodic passes run: every Interval, or at the times a
// cron expression with seconds names. The day-of-week field may be left out
// and descriptors (@daily, @every 1h30m) work, as in Watchtower's cron.
type Schedule struct {
	next func(time.Time) time.Time
	desc string
}

// NewSchedule builds a schedule from an interval or a cron expression; giving
// both is an error, as is a cron expression that does not parse.
func NewSchedule(interval time.Duration, expr string, intervalSet bool) (Schedule, error) {
	if expr != "" && intervalSet {
		return Schedule{}, fmt.Errorf("--schedule and --interval both given: use one")
	}
	if expr != "" {
		parser := cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.DowOptional | cron.Descriptor)
		s, err := parser.Parse(expr)
		if err != nil {
			return Schedule{}, fmt.Errorf("--schedule %q: %v (seconds, minutes, hours, day of month, month and an optional day of week, e.g. \"0 0 4 * * *\")", expr, err)
		}
		return Schedule{next: s.Next, desc: "on schedule " + expr}, nil
	}
	if interval <= 0 {
		return Schedule{}, fmt.Errorf("--interval must be positive, got %s", interval)
	}
	return Schedule{next: func(t time.Time) time.Time { return t.Add(interval) }, desc: "every " + interval.String()}, nil
}

// Next is the first run after t.
func (s Schedule) Next(t time.Time) time.Time { return s.next(t) }

// String says when passes run.
func (s Schedule) String() string { return s.desc }

// RunSchedule triggers a scheduled pass at each time the schedule names,
// until ctx ends.
func (d *Daemon) RunSchedule(ctx context.Context, s Schedule) {
	for {
		next := s.Next(d.now())
		d.log.Debug("next scheduled pass", "at", next)
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		if _, err := d.Trigger(ctx, Request{Scheduled: true}); err != nil && ctx.Err() == nil {
			d.log.Error("scheduled pass failed", "err", err)
		}
	}
}

package notify

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// aUnitPass is a pass in which the atomic project shop went back whole:
// api failed its gate, db went back with it, web was not swapped.
func aUnitPass() (daemon.Report, engine.Report) {
	mk := func(id byte, name string) engine.Container {
		return engine.Container{ID: hexOf(id), Name: name, Image: "example.com/shop/" + name, ImageID: digest("0" + string(id))}
	}
	db, api, web := mk('d', "shop-db-1"), mk('a', "shop-api-1"), mk('b', "shop-web-1")
	var group []engine.ContainerStatus
	for _, c := range []engine.Container{db, api, web} {
		group = append(group, engine.ContainerStatus{Container: c, LocalDigest: digest("11"), Status: engine.StatusOutdated, Unit: "shop"})
	}
	checked := engine.Report{CheckedAt: t0, Groups: []engine.Group{{Image: "example.com/shop", RemoteDigest: digest("22"), Status: engine.StatusOutdated, Containers: group}}}
	u := engine.UnitOutcome{Project: "shop", Result: engine.ResultRolledBack, Err: errors.New("shop-api-1: new container is unhealthy"), Members: []engine.Outcome{
		{Container: "shop-db-1", Result: engine.ResultRolledBack, Err: errors.New("rolled back with atomic project shop: shop-api-1: new container is unhealthy")},
		{Container: "shop-api-1", Result: engine.ResultRolledBack, Err: errors.New("new container is unhealthy")},
		{Container: "shop-web-1", Result: engine.ResultSkipped, Err: errors.New("left with its atomic project shop")},
	}}
	r := daemon.Report{ID: "p2", Started: t0, Finished: t0.Add(time.Minute), Trigger: "api", Summary: engine.Summary{Outcomes: u.Members, Units: []engine.UnitOutcome{u}}}
	r.Scanned, r.Failed, r.Skipped = 3, 2, 1
	return r, checked
}

func TestNotificationsSayHowAnAtomicProjectEnded(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"report", Options{Report: true}, "- /shop-db-1 (example.com/shop/shop-db-1:latest): Failed: rolled back with atomic project shop: shop-api-1: new container is unhealthy"},
		{"entries", Options{}, "Rolled back atomic project shop as one (shop-db-1, shop-api-1, shop-web-1): shop-api-1: new container is unhealthy"},
		{"own template", Options{Report: true, Template: `{{range .Report.Units}}{{.Project}} {{.Result}}:{{range .Containers}} {{.}}{{end}}{{end}}`}, "shop rolled back: shop-db-1 shop-api-1 shop-web-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rendered(t, tc.opts, aUnitPass)
			if !strings.Contains(got, tc.want) {
				t.Errorf("notification:\n%s\nwant a line %q", got, tc.want)
			}
		})
	}
}

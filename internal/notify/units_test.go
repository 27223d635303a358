package notify

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

func TestNotificationsSayHowAnAtomicProjectEnded(t *testing.T) {
	u := engine.UnitOutcome{Project: "shop", Result: engine.ResultRolledBack, Err: errors.New("shop-api-1: new container is unhealthy"), Members: []engine.Outcome{
		{Container: "shop-db-1", Result: engine.ResultRolledBack, Err: errors.New("rolled back with atomic project shop: shop-api-1: new container is unhealthy")},
		{Container: "shop-api-1", Result: engine.ResultRolledBack, Err: errors.New("new container is unhealthy")},
		{Container: "shop-web-1", Result: engine.ResultSkipped},
	}}
	r := daemon.Report{Finished: time.Now(), Summary: engine.Summary{Outcomes: u.Members, Units: []engine.UnitOutcome{u}, Failed: 2}}
	data := buildData(r, engine.Report{}, nil, "host")
	for _, tc := range []struct{ name, text, want string }{
		{"report", DefaultTemplate, "- atomic project shop: rolled back as one (shop-db-1, shop-api-1, shop-web-1): shop-api-1: new container is unhealthy"},
		{"entries", entriesTemplate, "Rolled back atomic project shop as one (shop-db-1, shop-api-1, shop-web-1): shop-api-1: new container is unhealthy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := parseTemplate(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := tmpl.Execute(&b, data); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.want) {
				t.Errorf("notification:\n%s\nwant a line %q", b.String(), tc.want)
			}
		})
	}
}

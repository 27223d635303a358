package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// rolledBackShop is the outcome of an atomic project whose api failed its
// gate: db went back with it, web was never swapped.
func rolledBackShop() engine.UnitOutcome {
	cause := errors.New("new container is unhealthy")
	return engine.UnitOutcome{Project: "shop", Result: engine.ResultRolledBack, Err: errors.New("shop-api-1: new container is unhealthy"), Members: []engine.Outcome{
		{Container: "shop-db-1", Image: "db:latest", Result: engine.ResultRolledBack, Err: errors.New("rolled back with atomic project shop: shop-api-1: new container is unhealthy")},
		{Container: "shop-api-1", Image: "api:latest", Result: engine.ResultRolledBack, Err: cause},
		{Container: "shop-web-1", Image: "web:latest", Result: engine.ResultSkipped, Err: errors.New("left with its atomic project shop")},
	}}
}

func TestDeployAnswerShowsTheAtomicProject(t *testing.T) {
	u := rolledBackShop()
	o := u.Members[2]
	o.Result, o.Err, o.Unit = engine.ResultRolledBack, errors.New("rolled back with atomic project shop: shop-api-1: new container is unhealthy"), &u
	srv := newTestServer(t, &fakeDeployer{out: o}, &fakePasses{})
	code, body := do(t, "POST", srv.URL+"/update", jsonKey, `{"container":"shop-web-1","image":"web:2"}`)
	want := `"rolled_back":true,"unit":{"project":"shop","result":"rolled_back","error":"shop-api-1: new container is unhealthy","containers":[` +
		`{"name":"shop-db-1","image":"db:latest","old_digest":"","new_digest":"","result":"rolled_back","error":"rolled back with atomic project shop: shop-api-1: new container is unhealthy"},` +
		`{"name":"shop-api-1","image":"api:latest","old_digest":"","new_digest":"","result":"rolled_back","error":"new container is unhealthy"},` +
		`{"name":"shop-web-1","image":"web:latest","old_digest":"","new_digest":"","result":"skipped","error":"left with its atomic project shop"}]}}`
	if code != http.StatusInternalServerError || !strings.HasSuffix(strings.TrimSpace(body), want) {
		t.Errorf("POST /update: got %d %s\nwant 500 ending %s", code, body, want)
	}
}

func TestV1ReportShowsTheAtomicProject(t *testing.T) {
	u := rolledBackShop()
	var sum engine.Summary
	for _, o := range u.Members {
		o.Unit = &u
		sum.Outcomes = append(sum.Outcomes, o)
	}
	sum.Units = []engine.UnitOutcome{u}
	b, err := json.Marshal(passReportJSON(daemon.Report{Summary: sum}))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Containers []struct{ Name, Unit string }
		Units      []struct {
			Project, Result, Error string
			Containers             []struct{ Name, Result, Unit string }
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Containers) != 3 || got.Containers[0].Unit != "shop" {
		t.Errorf("containers: got %+v, want three, each with unit shop", got.Containers)
	}
	if len(got.Units) != 1 || got.Units[0].Project != "shop" || got.Units[0].Result != "rolled_back" || len(got.Units[0].Containers) != 3 ||
		got.Units[0].Containers[2].Result != "skipped" || got.Units[0].Containers[0].Unit != "" {
		t.Errorf("units: got %+v, want shop rolled back, three members", got.Units)
	}
}

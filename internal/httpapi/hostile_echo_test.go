package httpapi_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// TestNoHeaderBuiltFromInput sends valid requests whose values, and a
// container's name, carry CR/LF and header lines: they come back escaped
// in JSON bodies, never as headers.
func TestNoHeaderBuiltFromInput(t *testing.T) {
	h := newHostileServer(t, hostileOptions{})
	addr := strings.TrimPrefix(h.serve(t), "http://")
	evilJSON := `evil\r\nX-Injected: 1\r\nSet-Cookie: injected=1`
	tests := []struct {
		name       string
		req        rawRequest
		wantStatus int
		wantCall   bool
	}{
		{"deploy a container named with CR/LF", rawRequest{method: "POST", target: "/update", header: machineJSON, body: `{"container":"` + evilJSON + `","image":"nginx"}`}, 200, true},
		{"async deploy of it", rawRequest{method: "POST", target: "/update?wait=false", header: machineJSON, body: `{"container":"` + evilJSON + `","image":"nginx"}`}, 202, true},
		{"update it by id", rawRequest{method: "POST", target: "/api/images/eeeeeeeeeeee/update", header: dashboardKey}, 200, true},
		{"update its group", rawRequest{method: "POST", target: "/api/groups/evil/update", header: dashboardKey}, 200, true},
		{"toggle it", rawRequest{method: "POST", target: "/api/images/eeeeeeeeeeee/auto-update", header: dashboardKey}, 200, true},
		{"list it", rawRequest{method: "GET", target: "/api/images", header: dashboardKey}, 200, false},
		{"its progress", rawRequest{method: "GET", target: "/api/images/eeeeeeeeeeee/progress", header: dashboardKey}, 404, false},
		{"its history", rawRequest{method: "GET", target: "/api/history?container=eeeeeeeeeeee", header: dashboardKey}, 200, false},
		{"log in as it", rawRequest{method: "POST", target: "/api/login", body: `{"user":"` + evilJSON + `","pass":"x"}`}, 401, false},
		{"its events", rawRequest{method: "GET", target: "/api/events", header: dashboardKey}, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sendRaw(addr, tt.req)
			if a.err != nil {
				t.Fatalf("no answer: %v", a.err)
			}
			if a.status != tt.wantStatus {
				t.Errorf("got %d %.200q, want %d", a.status, a.body, tt.wantStatus)
			}
			checkHeaders(t, tt.name, a.header)
			if strings.Contains(a.body, "\r\n") {
				t.Errorf("got body %.200q, want CR/LF from the input escaped", a.body)
			}
			if calls := h.rec.take(); tt.wantCall != (len(calls) > 0) {
				t.Errorf("calls: got %q, want some: %v", calls, tt.wantCall)
			}
		})
	}

	// A failure that quotes the request comes back in the JSON body too.
	h.deployer.fail(fmt.Errorf("container %s: %w", hostileEvil, engine.ErrNotFound))
	a := sendRaw(addr, rawRequest{method: "POST", target: "/update", header: machineJSON, body: `{"container":"` + evilJSON + `","image":"nginx"}`})
	if a.status != 404 || strings.Contains(a.body, "\r\n") {
		t.Errorf("failed deploy: got %d %q, want 404 with the name escaped", a.status, a.body)
	}
	checkHeaders(t, "failed deploy", a.header)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.jobs.all(), `"state":"done"`) {
		if time.Now().After(deadline) {
			t.Fatalf("job records after 5s: %q, want the failed deploy's recorded done", h.jobs.all())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if jobs := h.jobs.all(); strings.Contains(jobs, "\r\n") {
		t.Errorf("job records: got %q, want CR/LF escaped", jobs)
	}
}

// TestSecretsStayOut checks that the API key, the dashboard password and
// registry credentials sent with a deploy appear in no answer, no log line
// (at debug level), no job record and no metric, whatever is tried.
func TestSecretsStayOut(t *testing.T) {
	h := newHostileServer(t, hostileOptions{})
	addr := strings.TrimPrefix(h.serve(t), "http://")
	const regPassword = "registry-secret-9b1d"
	const regToken = "registry-token-5c2f"
	near := hostileKey[:len(hostileKey)-1] + "X"
	guessed := "guessed-token-0a1b2c"
	reqs := []rawRequest{
		{method: "POST", target: "/v1/update", header: []string{"Authorization: Bearer " + near}},
		{method: "POST", target: "/v1/update", header: []string{"Authorization: " + guessed}},
		{method: "GET", target: "/v1/metrics", header: []string{"Authorization: Bearer " + guessed}},
		{method: "POST", target: "/v1/update", header: []string{"Authorization: Bearer " + hostileKey}},
		{method: "POST", target: "/update", header: []string{"Authorization: Bearer " + guessed, "Content-Type: application/json"}, body: `{"container":"nginx","image":"nginx"}`},
		{method: "GET", target: "/api/images", header: []string{"Cookie: cutover_session=" + guessed}},
		{method: "POST", target: "/api/login", body: `{"user":"admin","pass":"` + hostilePassword + `"}`},
		{method: "POST", target: "/api/login", body: `{"user":"admin","pass":"` + hostilePassword + `!"}`},
		{method: "POST", target: "/api/login", body: `{"user":"` + hostilePassword + `","pass":""}`},
		{method: "POST", target: "/api/login", body: `{"user":"admin","pass":"` + hostileKey + `"}`},
		{method: "POST", target: "/api/login", body: `{"user":"admin","pass":"` + hostilePassword + `","x":1}`},
		{method: "POST", target: "/update", header: machineJSON, body: `{"container":"nginx","image":"nginx","registry":{"serveraddress":"r.example","username":"u","password":"` + regPassword + `"}}`},
		{method: "POST", target: "/update?wait=false", header: machineJSON, body: `{"container":"nginx","image":"nginx","registry":{"serveraddress":"r.example","username":"u","password":"` + regPassword + `"}}`},
		{method: "POST", target: "/update", header: machineJSON, body: `{"container":"nginx","image":"nginx","registry":{"username":"u","password":"` + regPassword + `","registrytoken":"` + regToken + `"}}`},
	}
	secrets := []string{hostileKey, hostilePassword, regPassword, regToken, near, guessed}
	var answers strings.Builder
	run := func() {
		for _, r := range reqs {
			a := sendRaw(addr, r)
			if a.err != nil {
				t.Fatalf("%s %s: no answer: %v", r.method, r.target, a.err)
			}
			fmt.Fprintf(&answers, "%s %s -> %d %v %s\n", r.method, r.target, a.status, a.header, a.body)
		}
	}
	run()
	h.deployer.fail(errors.New("pull failed: unauthorized"))
	run()

	a := sendRaw(addr, rawRequest{method: "GET", target: "/v1/metrics", header: []string{"Authorization: Bearer " + hostileKey}})
	if a.status != 200 || !strings.Contains(a.body, "watchtower_") {
		t.Fatalf("GET /v1/metrics: got %d %.200q, want 200 with the metrics", a.status, a.body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(h.jobs.all(), `"state":"done"`)+strings.Count(h.jobs.all(), `"state":"failed"`) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("job records after 5s: %q, want both deploys recorded as ended", h.jobs.all())
		}
		time.Sleep(10 * time.Millisecond)
	}
	where := map[string]string{
		"answers":     answers.String(),
		"logs":        h.logs.String(),
		"job records": h.jobs.all(),
		"metrics":     a.body,
	}
	for place, text := range where {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s: got secret %q in them, want none:\n%.2000s", place, s, text)
			}
		}
	}
	// The credentials did reach the deployer: redacting them on the way in
	// would break deploys from private registries.
	var got bool
	for _, r := range h.deployer.requests() {
		got = got || r.Auth.Password == regPassword
	}
	if !got {
		t.Errorf("deploys: got none with the registry password, want it passed to the engine")
	}
}

package cli_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// scoped runs a v1 container in its own Watchtower scope, so a daemon
// watching that scope touches nothing else on the engine.
func scoped(t *testing.T, scope string, labels ...string) (name string, pushV2 func()) {
	t.Helper()
	ref, _, push := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	name = testenv.Name(t, "svc")
	args := []string{"--label", "com.centurylinklabs.watchtower.scope=" + scope}
	for _, l := range labels {
		args = append(args, "--label", l)
	}
	testenv.RunContainer(t, name, append(args, ref)...)
	return name, func() { push(testenv.ImageSpec{}) }
}

func imageOf(t *testing.T, name string) string {
	return testenv.Docker(t, "inspect", "--format", "{{.Image}}", name)
}

// TestIntegrationWatchtowerHTTPAPI runs the Watchtower documentation's
// example against cutover: the token from WATCHTOWER_HTTP_API_TOKEN, the
// bearer header, and the ?image= form.
func TestIntegrationWatchtowerHTTPAPI(t *testing.T) {
	testenv.RequireEngine(t)
	scope := testenv.Name(t, "scope")
	a, pushA := scoped(t, scope)
	b, pushB := scoped(t, scope)
	pushA()
	pushB()
	imgA, imgB := imageOf(t, a), imageOf(t, b)
	t.Setenv("WATCHTOWER_HTTP_API_TOKEN", "mytoken")
	t.Setenv("WATCHTOWER_SCOPE", scope)
	d := startServe(t, t.TempDir(), "--debug", "--http-api-update", "--http-api-metrics")

	if code, body := call(t, "GET", "http://"+d.addr+"/v1/update", "Bearer wrong", "", ""); code != 401 || !strings.Contains(body, `"error"`) {
		t.Errorf("wrong token: got %d %s, want 401 with a JSON error", code, body)
	}
	if imageOf(t, a) != imgA || imageOf(t, b) != imgB {
		t.Fatal("a refused request changed a container")
	}

	repoA := strings.TrimSuffix(testenv.Docker(t, "inspect", "--format", "{{.Config.Image}}", a), ":latest")
	code, body := call(t, "GET", "http://"+d.addr+"/v1/update?image="+repoA, "Bearer mytoken", "", "")
	var rep struct {
		Scanned, Updated, Failed, Skipped int
		Containers                        []struct{ Name, Result string }
	}
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil {
		t.Fatalf("GET /v1/update?image=%s: got %d %s", repoA, code, body)
	}
	if rep.Scanned != 1 || rep.Updated != 1 || len(rep.Containers) != 1 || rep.Containers[0].Name != a {
		t.Errorf("report of the ?image= pass: got %+v, want only %s scanned and updated", rep, a)
	}
	if imageOf(t, a) == imgA || imageOf(t, b) != imgB {
		t.Errorf("after ?image=%s: %s updated=%v, %s updated=%v; want only %s", repoA, a, imageOf(t, a) != imgA, b, imageOf(t, b) != imgB, a)
	}

	code, body = call(t, "POST", "http://"+d.addr+"/v1/update", "Bearer mytoken", "", "")
	if code != 200 || !strings.Contains(body, `"updated":1`) || imageOf(t, b) == imgB {
		t.Errorf("POST /v1/update: got %d %s, want %s updated", code, body, b)
	}

	code, metrics := call(t, "GET", "http://"+d.addr+"/v1/metrics", "Bearer mytoken", "", "")
	for _, want := range []string{"watchtower_scans_total 2", "watchtower_containers_updated 1", "watchtower_containers_scanned 2", "watchtower_containers_failed 0", "cutover_registry_requests_total"} {
		if code != 200 || !strings.Contains(metrics, want) {
			t.Errorf("metrics: got %d, want a line %q in:\n%s", code, want, metrics)
		}
	}
	if code, _ := call(t, "GET", "http://"+d.addr+"/v1/metrics", "", "", ""); code != 401 {
		t.Errorf("metrics without token: got %d, want 401", code)
	}
}

// TestIntegrationPeriodicPasses checks that --interval and --schedule passes
// run, and that a monitor-only finding is notified once, not at every pass.
func TestIntegrationPeriodicPasses(t *testing.T) {
	testenv.RequireEngine(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"interval", []string{"--interval", "1"}},
		{"schedule", []string{"--schedule", "* * * * * *"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scope := testenv.Name(t, "scope")
			updated, pushU := scoped(t, scope, "com.centurylinklabs.watchtower.enable=true")
			watched, pushW := scoped(t, scope)
			pushU()
			pushW()
			before, watchedBefore := imageOf(t, updated), imageOf(t, watched)
			watchedImage := testenv.Docker(t, "inspect", "--format", "{{.Config.Image}}", watched)
			n := listenNotifications(t)
			const token = "passes-token"
			d := startServe(t, t.TempDir(), append([]string{"--scope", scope, "--notification-url", n.url,
				"--http-api-metrics", "--http-api-token", token}, tc.args...)...)
			// Mid-swap the name is free for a moment: a look that finds no
			// container then looks again.
			shared := testenv.SharedEngine(t)
			waitFor(t, updated+" updated by a periodic pass", 60*time.Second, func() bool {
				img, err := shared.TryDocker("inspect", "--format", "{{.Image}}", updated)
				return err == nil && img != before
			})
			// Several more passes run; the finding about the watched one is
			// told once. A pass is counted before its notification goes out
			// and passes run one at a time, so four more counted passes mean
			// the notifications of at least two passes after the update
			// were sent.
			seen := passes(t, d.addr, token)
			waitFor(t, "four more passes", 60*time.Second, func() bool { return passes(t, d.addr, token) >= seen+4 })
			if imageOf(t, watched) != watchedBefore {
				t.Errorf("%s has no enable label and --auto-update-default is false, yet it was updated", watched)
			}
			var updates, findings int
			for _, m := range n.all() {
				if strings.Contains(m, "Creating /"+updated+"\n") {
					updates++
				}
				if strings.Contains(m, "Found new "+watchedImage+" image (") {
					findings++
				}
			}
			if updates != 1 || findings != 1 {
				t.Errorf("notifications: %d about the update, %d about the finding; want 1 each. Got:\n%s", updates, findings, strings.Join(n.all(), "\n---\n"))
			}
		})
	}
}

// passes is the number of passes the daemon at addr finished, from its
// metrics.
func passes(t *testing.T, addr, token string) int {
	t.Helper()
	code, body := call(t, "GET", "http://"+addr+"/v1/metrics", "Bearer "+token, "", "")
	if code != 200 {
		t.Fatalf("GET /v1/metrics: got %d %s", code, body)
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, "watchtower_scans_total "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("watchtower_scans_total %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("GET /v1/metrics: no watchtower_scans_total in:\n%s", body)
	return 0
}

func TestServeRefusesBadSettings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--interval", "30", "--schedule", "0 0 4 * * *"}, "--schedule and --interval both given: use one"},
		{[]string{"--schedule", "0 4 * *"}, `--schedule "0 4 * *"`},
		{[]string{"--interval", "30", "--schedule", "0 0 4 * *"}, "--schedule and --interval both given: use one"},
		{[]string{"--log-format", "xml"}, `--log-format "xml": want text or json`},
		{[]string{"--check-interval", "0s"}, "--check-interval must be positive, got 0s"},
		{[]string{"--concurrent-restarts", "0"}, "--concurrent-restarts 0: want 1 or more"},
		{[]string{"--notification-url", "nope://x"}, "notification URL"},
		{[]string{"--porcelain", "v2"}, `--porcelain "v2": unknown version (want v1)`},
		{[]string{"--log-level", "loud"}, `--log-level "loud": want trace, debug, info, warn, error, fatal or panic`},
		{[]string{"--notifications", "pager"}, `--notifications "pager": unknown type`},
		{[]string{"--notifications", "gotify"}, "--notification-gotify-url (WATCHTOWER_NOTIFICATION_GOTIFY_URL) is empty"},
		{[]string{"--stop-timeout", "-1s"}, "--stop-timeout -1s: want 0 or more"},
		{[]string{"--notifications-level", "loud"}, `--notifications-level: level "loud"`},
		{[]string{"--trusted-proxies", "10.0.0.2,proxy"}, `--trusted-proxies: "proxy" is neither an address nor a CIDR range`},
		{[]string{"--trusted-proxies", "10.0.0.0/33", "--ui-auth=false"}, `--trusted-proxies: "10.0.0.0/33" is neither`},
	} {
		// A unique scope: should a case start after all, it touches nothing.
		r := cutover(t, append([]string{"serve", "--listen", "127.0.0.1:0", "--scope", testenv.Name(t, "refused")}, tc.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("serve %v: exit %d, stderr %q; want a failure saying %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

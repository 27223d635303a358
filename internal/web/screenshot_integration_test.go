package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationDashboardScreenshot shows the dashboard in headless
// Chromium as a user finds it on a small host: four containers in three
// image groups, one of them outdated, the others updated a moment ago, with
// their history. It checks that every container is shown with its status,
// and with CUTOVER_SCREENSHOT=path set it writes a 1200x800 PNG of the page
// there (a relative path is taken from the repository root):
//
//	CUTOVER_SCREENSHOT=docs/dashboard.png go test -run TestIntegrationDashboardScreenshot ./internal/web/
//
// The containers and images have fixed, readable names, so a lock keeps two
// runs on one machine from sharing them.
func TestIntegrationDashboardScreenshot(t *testing.T) {
	browser := testenv.RequireTool(t, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	lockNames(t)

	const registry = "localhost:5000/shop/"
	type app struct {
		name, repo, tag string
		health          bool
		args            []string
	}
	apps := []app{
		{name: "shop-web", repo: "web", tag: "2.3", health: true, args: []string{"--label", "cutover.enable=true"}},
		{name: "shop-api", repo: "api", tag: "latest", health: true},
		{name: "shop-worker-1", repo: "worker", tag: "1.8"},
		{name: "shop-worker-2", repo: "worker", tag: "1.8"},
	}
	var names []string
	pushed := map[string]bool{}
	for _, a := range apps {
		spec := testenv.ImageSpec{Repo: registry + a.repo, Tag: a.tag, Version: a.repo + "-1", Healthcheck: a.health}
		if !pushed[a.repo] {
			testenv.BuildAndPush(t, spec)
			pushed[a.repo] = true
		}
		testenv.RunContainer(t, a.name, append(a.args, spec.Repo+":"+spec.Tag)...)
		names = append(names, a.name)
	}
	// New releases of every image: web and the workers are updated before
	// the picture, api is left outdated.
	for _, a := range []app{apps[0], apps[1], apps[2]} {
		testenv.BuildAndPush(t, testenv.ImageSpec{Repo: registry + a.repo, Tag: a.tag, Version: a.repo + "-2", Healthcheck: a.health})
	}

	data := t.TempDir()
	// The API key the dashboard's API takes, known in advance.
	if err := os.WriteFile(filepath.Join(data, "api_key"), []byte("screenshot-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := startServe(t, data, append([]string{"--ui-password", "correct horse", "--health-grace", "1s"}, names...)...)
	// The first check runs in the background after the start.
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(get(t, base+"/api/images", "screenshot-key"), `"shop-api"`) {
		if time.Now().After(deadline) {
			t.Fatalf("GET /api/images: shop-api not listed within a minute of the start")
		}
		time.Sleep(250 * time.Millisecond)
	}
	for _, path := range []string{"/api/images/shop-web/update", "/api/groups/" + registry + "worker:1.8/update"} {
		post(t, base+path, "screenshot-key")
	}
	// The page is opened once both updates are done, so that the history
	// it loads has them.
	deadline = time.Now().Add(2 * time.Minute)
	for updated(t, base, "screenshot-key") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("updates of shop-web and the two workers not all in the history within 2 minutes")
		}
		time.Sleep(250 * time.Millisecond)
	}

	tab := openPage(t, browser, 1200, 800, base+"/", logIn("correct horse"))

	row := func(name, status string) string {
		return fmt.Sprintf(`li.container[data-name=%q] .badge[data-status=%q]`, name, status)
	}
	for _, want := range []struct{ name, status string }{
		{"shop-web", "uptodate"}, {"shop-api", "outdated"}, {"shop-worker-1", "uptodate"}, {"shop-worker-2", "uptodate"},
	} {
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](fmt.Sprintf(`!!document.querySelector(%q)`, row(want.name, want.status)),
			chromedp.WithPollingTimeout(2*time.Minute))); err != nil {
			t.Fatalf("container %s: not shown as %s on the dashboard: %v", want.name, want.status, err)
		}
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](`document.querySelectorAll('#history tbody tr').length >= 3`,
		chromedp.WithPollingTimeout(time.Minute))); err != nil {
		t.Fatalf("update history: want the 3 updates shown (shop-web and both workers): %v", err)
	}

	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := os.Getenv("CUTOVER_SCREENSHOT")
	if out == "" {
		return
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(testenv.RepoRoot(t), out)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("dashboard screenshot written to %s (%d bytes)", out, len(png))
}

// post sends an empty POST with the API key and wants a 200.
func post(t *testing.T, url, key string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %s, want 200", url, resp.Status)
	}
}

// updated counts the history's updated entries.
func updated(t *testing.T, base, key string) int {
	t.Helper()
	var rows []struct{ Result string }
	if err := json.Unmarshal([]byte(get(t, base+"/api/history", key)), &rows); err != nil {
		t.Fatalf("GET /api/history: %v", err)
	}
	n := 0
	for _, r := range rows {
		if r.Result == "updated" {
			n++
		}
	}
	return n
}

// get sends a GET with the API key and returns the body of a 200.
func get(t *testing.T, url, key string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %s (%v), want 200", url, resp.Status, err)
	}
	return string(b)
}

// lockNames holds a machine-wide lock until the test ends.
func lockNames(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "cutover-dashboard-screenshot.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

package web_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationBrowserProjectView drives the dashboard's Compose project
// view in headless Chromium: three containers of one atomic project (web
// depends on api, which depends on db), each with a newer image in the
// registry, listed under their project; the project's button updates all
// three; the chosen view outlives a reload, and the image view is still
// there.
func TestIntegrationBrowserProjectView(t *testing.T) {
	browser := testenv.RequireTool(t, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)

	project := strings.ReplaceAll(testenv.Name(t, "shop"), "-", "")
	deps := map[string]string{"db": "", "api": "db:service_healthy:false", "web": "api:service_started:false"}
	var names []string
	for _, svc := range []string{"db", "api", "web"} {
		repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, svc)
		spec := testenv.ImageSpec{Repo: repo, Version: "v1", HealthInterval: map[string]string{"db": "1s", "api": "1s"}[svc]}
		v1, _ := testenv.BuildAndPush(t, spec)
		name := project + "-" + svc + "-1"
		testenv.RunContainer(t, name,
			"--label", "com.docker.compose.project="+project,
			"--label", "com.docker.compose.service="+svc,
			"--label", "com.docker.compose.depends_on="+deps[svc],
			"--label", "cutover.atomic=true", v1)
		spec.Version = "v2"
		testenv.BuildAndPush(t, spec)
		names = append(names, name)
		t.Cleanup(func() { removeContainer(t, name) })
	}

	base := startServe(t, t.TempDir(), append([]string{"--ui-password", "correct horse", "--health-grace", "1s"}, names...)...)
	tab := openPage(t, browser, 1280, 900, base+"/", logIn("correct horse"))
	card := fmt.Sprintf(`article.project[data-project=%q]`, project)
	must(t, "switch to the project view and see the project outdated, atomic, with its three containers", chromedp.Do(tab,
		chromedp.Click(chromedp.CSS("#by-project")),
		chromedp.WaitVisible(chromedp.CSS(card+` .group-head .badge[data-status="outdated"]`)),
		chromedp.WaitVisible(chromedp.CSS(card+" .chip.atomic")),
		chromedp.WaitNotVisible(chromedp.CSS("#groups")),
	))
	rows, err := chromedp.Run(tab, chromedp.Evaluate[[]string](fmt.Sprintf(
		`[...document.querySelectorAll(%q)].map((li) => li.dataset.name + ' ' + li.querySelector('.c-service').textContent)`, card+" li.container")))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{names[1] + " api", names[0] + " db", names[2] + " web"}
	if strings.Join(rows, ",") != strings.Join(want, ",") {
		t.Errorf("rows of project %s: got %q, want %q (by service)", project, rows, want)
	}

	must(t, "update the project as one", chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(card+" button.project-update")),
	))
	for _, n := range names {
		row := fmt.Sprintf(`%s li.container[data-name=%q]`, card, n)
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](fmt.Sprintf(
			`(() => { const b = document.querySelector(%q); return !!b && b.dataset.status === 'uptodate'; })()`, row+" .badge"),
			chromedp.WithPollingTimeout(3*time.Minute))); err != nil {
			t.Fatalf("%s never showed up to date after the project's update: %v", n, err)
		}
	}
	for _, n := range names {
		if got := testenv.Docker(t, "inspect", "--format", `{{index .Config.Labels "com.docker.compose.project"}} {{.State.Status}}`, n); got != project+" running" {
			t.Errorf("container %s after the update: %q, want running in project %s", n, got, project)
		}
	}
	must(t, "the project view outlives a reload", chromedp.Do(tab,
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(card+` .group-head .badge[data-status="uptodate"]`)),
	))
	pressed, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById('by-project').getAttribute('aria-pressed')`))
	if err != nil || pressed != "true" {
		t.Errorf("after a reload, By Compose project pressed: %q (err %v), want true", pressed, err)
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	saveShot(t, png, filepath.Join(t.TempDir(), "projects.png"), "/tmp/cutover-dashboard-projects.png")

	must(t, "the image view is still there", chromedp.Do(tab,
		chromedp.Click(chromedp.CSS("#by-image")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#groups li.container[data-name=%q] .badge[data-status="uptodate"]`, names[0]))),
		chromedp.WaitNotVisible(chromedp.CSS("#projects")),
	))
}

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cutover/cutover/internal/testenv"
)

// fleetSize is the number of containers the fleet test runs, as many as
// the dashboard is asked to handle on one page.
const fleetSize = 100

// TestIntegrationBrowserFleet serves the dashboard from a real cutover
// watching 100 real containers on the engine: 60 and 34 "bench" containers
// on two images, and six "edge" containers on a third image that gets a new
// release. Three are paused and one is stopped. In headless Chromium it
// checks the summary's counts, each container's state, natural order
// (bench-2 before bench-11), the status filter and the search by container
// and by image name, both kept in the address through a reload and a shared
// link, and "update every outdated container": its confirmation lists the
// five it updates and leaves the paused one, and once confirmed the five are
// updated for real.
//
// The images are FROM scratch around a static binary, and the containers are
// started a few at a time and removed in one call, so that the hundred cost
// seconds, not minutes.
func TestIntegrationBrowserFleet(t *testing.T) {
	t.Parallel()
	browser := testenv.RequireTool(t, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)

	p := testenv.Name(t, "fleet")
	repo := func(s string) string { return testenv.PlainRegistry + "/cutover-test/" + p + "-" + s }
	alpha, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo("alpha"), Tag: "1"})
	beta, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo("beta"), Tag: "1"})
	gamma, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo("gamma"), Tag: "1", Version: "gamma-1"})

	bench := func(i int) string { return fmt.Sprintf("%s-bench-%d", p, i) }
	edge := func(i int) string { return fmt.Sprintf("%s-edge-%d", p, i) }
	var boxes []fleetBox
	for i := 1; i <= 94; i++ {
		img := alpha
		if i > 60 {
			img = beta
		}
		boxes = append(boxes, fleetBox{bench(i), img})
	}
	for i := 1; i <= 6; i++ {
		boxes = append(boxes, fleetBox{edge(i), gamma})
	}
	start := time.Now()
	runFleet(t, p, boxes)
	t.Logf("%d containers started in %s", len(boxes), time.Since(start).Round(time.Millisecond))
	testenv.Docker(t, "pause", bench(7), bench(30), edge(6))
	testenv.Docker(t, "stop", "--time", "0", bench(50))
	// A new release of gamma: the edge containers are outdated.
	testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo("gamma"), Tag: "1", Version: "gamma-2"})

	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "api_key"), []byte("fleet-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	watched := []string{"--ui-auth=false", "--include-stopped", "--health-grace", "1s"}
	for _, b := range boxes {
		watched = append(watched, b.name)
	}
	base := startServe(t, data, watched...)
	// The first check runs in the background after the start.
	waitImages(t, base, "fleet-key", func(cs []fleetItem) bool {
		outdated := 0
		for _, c := range cs {
			if c.Status == "outdated" {
				outdated++
			}
		}
		return len(cs) == fleetSize && outdated == 6
	})

	row := func(name string) string { return fmt.Sprintf(`li.container[data-name=%q]`, name) }
	tab := openPage(t, browser, 1280, 900, base+"/", chromedp.WaitVisible(chromedp.CSS(row(edge(6)))))
	waitJS(t, tab, "all 100 containers listed", fmt.Sprintf(`document.querySelectorAll('li.container').length === %d`, fleetSize))

	// The summary and the bulk button.
	if got, want := counts(t, tab), map[string]int{"containers": 100, "outdated": 6, "held": 0, "cooling": 0, "failed": 0}; !mapsEqual(got, want) {
		t.Errorf("summary counts: got %v, want %v", got, want)
	}
	if got := textOf(t, tab, "#update-outdated"); got != "Update every outdated container (5)" {
		t.Errorf("bulk button: got %q, want Update every outdated container (5): edge-6 is paused", got)
	}

	// Natural order, groups by image: bench-1 ... bench-94, edge-1 ... edge-6.
	var want []string
	for _, b := range boxes {
		want = append(want, b.name)
	}
	if got := names(t, tab); !slices.Equal(got, want) {
		t.Errorf("containers in order: got %q, want bench-1 to bench-94 then edge-1 to edge-6 (%q)", got, want)
	}

	// Each container's state.
	states := evalJS[map[string]string](t, tab, `Object.fromEntries([...document.querySelectorAll('li.container')].map((li) => [li.dataset.name, (li.querySelector('.c-state') || {}).textContent || '']))`)
	for _, b := range boxes {
		want := map[string]string{bench(7): "paused", bench(30): "paused", edge(6): "paused", bench(50): "exited"}[b.name]
		if want == "" {
			want = "running"
		}
		if states[b.name] != want {
			t.Errorf("%s: state shown %q, want %q", b.name, states[b.name], want)
		}
	}

	// The outdated ones, from the summary.
	must(t, "show the outdated ones", chromedp.Do(tab, click(`#summary button[data-count=outdated]`)))
	waitList(t, tab, "outdated", []string{edge(1), edge(2), edge(3), edge(4), edge(5), edge(6)})
	if got := textOf(t, tab, "#shown"); got != "Showing 6 of 100 containers." {
		t.Errorf("after filtering: got %q, want Showing 6 of 100 containers.", got)
	}
	wantAddress(t, tab, "?status=outdated")

	// Not running, then searched by container name; kept through a reload.
	// As choosing "Not running" in the list does.
	evalJS[bool](t, tab, `(() => { const s = document.querySelector('#filter'); s.value = 'stopped'; return s.dispatchEvent(new Event('change')); })()`)
	waitList(t, tab, "not running", []string{bench(7), bench(30), bench(50), edge(6)})
	must(t, "search bench", chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS("#search"), "bench")))
	waitList(t, tab, "not running, searched for bench", []string{bench(7), bench(30), bench(50)})
	wantAddress(t, tab, "?status=stopped&q=bench")
	must(t, "reload", chromedp.Do(tab, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(row(bench(50))))))
	waitList(t, tab, "after the reload", []string{bench(7), bench(30), bench(50)})
	if got := evalJS[[]string](t, tab, `[document.querySelector('#filter').value, document.querySelector('#search').value]`); !slices.Equal(got, []string{"stopped", "bench"}) {
		t.Errorf("filter and search after the reload: got %q, want [stopped bench]", got)
	}

	// A shared link: a search by image name; every container of that
	// image, whatever its own name.
	must(t, "open a shared link", chromedp.Do(tab, chromedp.Navigate(base+"/?q="+p+"-gamma"), chromedp.WaitVisible(chromedp.CSS(row(edge(1))))))
	waitList(t, tab, "searched for the gamma image", []string{edge(1), edge(2), edge(3), edge(4), edge(5), edge(6)})
	// A search by name, in natural order: bench-1, then bench-10 to bench-19.
	must(t, "search bench-1", chromedp.Do(tab,
		click("#clear-view"),
		chromedp.SendKeys(chromedp.CSS("#search"), "bench-1"),
	))
	want = []string{bench(1)}
	for i := 10; i <= 19; i++ {
		want = append(want, bench(i))
	}
	waitList(t, tab, "searched for bench-1", want)
	must(t, "clear the search", chromedp.Do(tab, click("#clear-view")))
	waitJS(t, tab, "all 100 listed again", fmt.Sprintf(`document.querySelectorAll('li.container').length === %d`, fleetSize))
	wantAddress(t, tab, "")

	// Every outdated container, from the list of the outdated ones: the
	// confirmation says what it does, and confirming updates them.
	must(t, "ask to update every outdated container", chromedp.Do(tab,
		click(`#summary button[data-count=outdated]`),
		click("#update-outdated"),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
	))
	take := evalJS[[]string](t, tab, `[...document.querySelectorAll('#confirm [data-list=take] li')].map((li) => li.dataset.name)`)
	if !slices.Equal(take, []string{edge(1), edge(2), edge(3), edge(4), edge(5)}) {
		t.Errorf("confirmation, to update: got %q, want edge-1 to edge-5", take)
	}
	if got := textOf(t, tab, "#confirm [data-list=leave]"); got != edge(6)+": paused: unpause it first" {
		t.Errorf("confirmation, left alone: got %q, want %s: paused: unpause it first", got, edge(6))
	}
	if got := textOf(t, tab, "#confirm-title"); got != "Update 5 outdated containers?" {
		t.Errorf("confirmation title: got %q, want Update 5 outdated containers?", got)
	}
	must(t, "confirm", chromedp.Do(tab, click("#confirm-ok"), chromedp.WaitNotVisible(chromedp.CSS("#confirm"))))
	waitJS(t, tab, "edge-1 to edge-5 updated and shown up to date", fmt.Sprintf(`(() => {
		const n = Number(document.querySelector('#summary [data-count=outdated]').dataset.n);
		const up = [1, 2, 3, 4, 5].every((i) => document.querySelector('li.container[data-name="%s-edge-' + i + '"] .badge[data-status=uptodate]'));
		return n === 1 && up;
	})()`, p))
	if got := textOf(t, tab, "#update-outdated"); got != "Update every outdated container (0)" {
		t.Errorf("bulk button after the update: got %q, want (0)", got)
	}
	// Up to date now, they stay in the list of outdated ones while their
	// bars are shown.
	if got, want := names(t, tab), []string{edge(1), edge(2), edge(3), edge(4), edge(5), edge(6)}; !slices.Equal(got, want) {
		t.Errorf("outdated ones after the update: got %q, want the updated ones still shown, %q", got, want)
	}
	for i := 1; i <= 5; i++ {
		if out := testenv.Docker(t, "inspect", "--format", "{{.State.Status}} {{.Config.Image}}", edge(i)); out != "running "+gamma {
			t.Errorf("%s after the update: got %q, want running %s", edge(i), out, gamma)
		}
	}

	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	saveShot(t, png, filepath.Join(t.TempDir(), "fleet.png"), "/tmp/cutover-dashboard-fleet.png")
}

type fleetBox struct{ name, image string }

type fleetItem struct {
	Name   string `json:"container_name"`
	Status string `json:"status"`
}

// runFleet starts the containers a few at a time, labelled with the
// test's prefix, and removes them, and every container cutover made from
// them (a swap keeps the labels), in one call when the test ends.
func runFleet(t *testing.T, prefix string, boxes []fleetBox) {
	t.Helper()
	label := "cutover.test.fleet=" + prefix
	t.Cleanup(func() {
		out, err := exec.Command("docker", "ps", "--all", "--quiet", "--filter", "label="+label).Output()
		if err != nil {
			t.Errorf("list the fleet's containers: %v", err)
			return
		}
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			if out, err := exec.Command("docker", append([]string{"rm", "--force", "--volumes"}, ids...)...).CombinedOutput(); err != nil {
				t.Errorf("remove the fleet's containers: %v: %s", err, out)
			}
		}
	})
	work := make(chan fleetBox)
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for b := range work {
				out, err := exec.Command("docker", "run", "--detach", "--name", b.name, "--label", testenv.TestLabel, "--label", label, b.image).CombinedOutput()
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("docker run %s: %v: %s", b.name, err, bytes.TrimSpace(out)))
					mu.Unlock()
				}
			}
		})
	}
	for _, b := range boxes {
		work <- b
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("starting the fleet:\n%s", strings.Join(errs, "\n"))
	}
}

// waitImages waits until GET /api/images satisfies ok.
func waitImages(t *testing.T, base, key string, ok func([]fleetItem) bool) {
	t.Helper()
	var last []fleetItem
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		var groups []struct {
			Containers []fleetItem `json:"containers"`
		}
		if err := json.Unmarshal([]byte(get(t, base+"/api/images", key)), &groups); err != nil {
			t.Fatalf("GET /api/images: %v", err)
		}
		last = nil
		for _, g := range groups {
			last = append(last, g.Containers...)
		}
		if ok(last) {
			return
		}
	}
	t.Fatalf("GET /api/images: not as expected within 2 minutes; last: %d containers %v", len(last), last)
}

// waitJS waits until the expression is true in the tab.
func waitJS(t *testing.T, tab context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(2*time.Minute))); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitList waits until the page lists exactly want, in that order.
func waitList(t *testing.T, tab context.Context, what string, want []string) {
	t.Helper()
	b, _ := json.Marshal(want)
	expr := fmt.Sprintf(`JSON.stringify([...document.querySelectorAll('li.container')].map((li) => li.dataset.name)) === %s`, strconv.Quote(string(b)))
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("%s: listed %q, want %q (%v)", what, names(t, tab), want, err)
	}
}

// wantAddress checks the query part of the page's address.
func wantAddress(t *testing.T, tab context.Context, want string) {
	t.Helper()
	if got := evalJS[string](t, tab, `location.search`); got != want {
		t.Errorf("address: got %q, want %q", got, want)
	}
}

package web_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cutover/cutover/internal/testenv"
)

// versionsFixture is a small fleet in every state the version contract
// describes, and one container as an older cutover lists it.
func versionsFixture(now time.Time) []fakeGroup {
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	const (
		d1 = "sha256:1111111111"
		d2 = "sha256:2222222222"
	)
	return []fakeGroup{
		{Image: "localhost:5000/shop/worker:latest", RemoteDigest: d2, Status: "partial", Containers: []map[string]any{
			container("aaaaaaaaaa11", "worker-11", d2, "uptodate", map[string]any{"state": "exited"}),
			// As an older cutover says it: Image Watch's fields only.
			container("aaaaaaaaaa02", "worker-2", d1, "outdated", nil),
			container("aaaaaaaaaa01", "worker-1", d1, "outdated", map[string]any{
				"state": "restarting", "current_version": "1.0", "offered_version": "1.1", "offered_digest": d2 + "aaaaaa",
				"held": true, "held_reason": "rolled back: the new container exited with code 3",
				"error": "the new container exited with code 3 (rolled back)",
			}),
		}},
		{Image: "localhost:5000/shop/web:1.4.2", RemoteDigest: d1, Status: "outdated", Containers: []map[string]any{
			container("bbbbbbbbbb02", "web-2", d1, "outdated", map[string]any{
				"state": "running", "policy": "minor", "current_version": "1.4.2", "offered_version": "1.9.0",
				"offered_reference": "localhost:5000/shop/web:1.9.0", "offered_digest": "sha256:9999999999999999",
				"offered_created": rfc(now.Add(-2 * time.Hour)), "cooldown_until": rfc(now.Add(50 * time.Hour)),
				"release_url": "https://github.com/shop/web/releases/tag/1.9.0",
			}),
			container("bbbbbbbbbb01", "web-1", d1, "outdated", map[string]any{
				"state": "running", "policy": "minor", "current_version": "1.4.2", "offered_version": "1.9.0",
				"offered_reference": "localhost:5000/shop/web:1.9.0", "offered_digest": "sha256:9999999999999999",
				"offered_created": rfc(now.Add(-72 * time.Hour)), "cooldown_until": rfc(now.Add(-time.Hour)),
				"release_url": "https://github.com/shop/web/releases/tag/1.9.0", "skipped": false, "held": false,
			}),
		}},
		{Image: "localhost:5000/shop/api:2.0.0", RemoteDigest: d1, Status: "outdated", Containers: []map[string]any{
			container("cccccccccc01", "api", d1, "outdated", map[string]any{
				"state": "paused", "kind": "service", "policy": "patch", "current_version": "2.0.0", "offered_version": "2.0.1",
				"offered_digest": d2, "skipped": true, "held": true, "held_reason": "skipped by admin",
			}),
		}},
		{Image: "localhost:5000/shop/db:16.4@" + d1, RemoteDigest: d2, Status: "outdated", Containers: []map[string]any{
			container("dddddddddd01", "db", d1, "outdated", map[string]any{
				"state": "running", "current_version": "16.4", "offered_version": "16.4", "offered_digest": d2, "pinned": true,
			}),
		}},
		{Image: "localhost:5000/shop/cache:7", RemoteDigest: d2, Status: "outdated", Containers: []map[string]any{
			container("eeeeeeeeee01", "cache", d1, "outdated", map[string]any{
				"state": "running", "current_version": "7", "offered_version": "7.1",
				"release_url": "javascript:alert(document.domain)",
			}),
			container("eeeeeeeeee02", "cache-2", d1, "outdated", map[string]any{
				"state": "running", "current_version": "7", "offered_version": "7.1",
			}),
		}},
	}
}

// TestIntegrationBrowserVersions drives the dashboard in headless Chromium
// over an API that serves the version fields: versions before digests, what
// changed with a release-notes link that only ever is http(s), a cooldown
// with "update anyway" sending force after a confirmation, skip and undo,
// a held and a pinned container, each container's state, the summary's
// counts, and what "update every outdated container" confirms and sends. A
// container listed with Image Watch's fields alone shows its digests.
func TestIntegrationBrowserVersions(t *testing.T) {
	t.Parallel()
	browser := testenv.RequireTool(t, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
	api := &fakeAPI{groups: versionsFixture(time.Now()), noOffer: "eeeeeeeeee01"}
	base := api.start(t)
	row := func(name string) string { return fmt.Sprintf(`li.container[data-name=%q]`, name) }
	tab := openPage(t, browser, 1280, 1000, base+"/", chromedp.WaitVisible(chromedp.CSS(row("web-1"))))

	// Statuses that did not change redraw nothing: a redraw between the
	// press and the release of a button would swallow the click.
	evalJS[bool](t, tab, fmt.Sprintf(`(() => { document.querySelector(%q).dataset.probe = 'kept'; return true; })()`, row("web-1")))
	for seen, deadline := api.sent.Load(), time.Now().Add(20*time.Second); api.sent.Load() < seen+5; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the page's event stream: fewer than 5 events in 20 s")
		}
	}
	if got := evalJS[string](t, tab, fmt.Sprintf(`document.querySelector(%q).dataset.probe || ''`, row("web-1"))); got != "kept" {
		t.Errorf("web-1's row after 5 unchanged statuses: redrawn, want it kept")
	}

	// The summary line: 9 containers, 8 outdated (the API's status), the
	// skipped and the held one, one cooling down, one failed last time.
	wantCounts := map[string]int{"containers": 9, "outdated": 8, "held": 2, "cooling": 1, "failed": 1}
	if got := counts(t, tab); !mapsEqual(got, wantCounts) {
		t.Errorf("summary counts: got %v, want %v", got, wantCounts)
	}

	// "/" goes to the search.
	must(t, "press /", chromedp.Do(tab, typeKey("/", "Slash", 191)))
	if got := evalJS[string](t, tab, `document.activeElement.id + ' ' + document.querySelector('#search').value`); got != "search " {
		t.Errorf("after pressing /: focus and search %q, want the empty search focused", got)
	}
	must(t, "leave the search", chromedp.Do(tab, chromedp.Blur(chromedp.CSS("#search"))))

	// Natural order: worker-1, worker-2, worker-11; groups by image.
	if got, want := names(t, tab), []string{"api", "cache", "cache-2", "db", "web-1", "web-2", "worker-1", "worker-2", "worker-11"}; !slices.Equal(got, want) {
		t.Errorf("containers in order: got %q, want %q", got, want)
	}

	// Versions first, digests second.
	if got := textOf(t, tab, row("web-1")+" .c-versions"); !strings.HasPrefix(got, "1.4.2 → 1.9.0") ||
		!strings.Contains(got, "running sha256:1111111111 → sha256:9999999999") || !strings.Contains(got, "released 3 days ago") {
		t.Errorf("web-1 versions: got %q, want 1.4.2 → 1.9.0 first, then the digests, then released 3 days ago", got)
	}
	if got := textOf(t, tab, row("worker-2")+" .c-versions"); got != "running sha256:1111111111 → sha256:2222222222" {
		t.Errorf("worker-2, with no version fields: got %q, want the digests alone", got)
	}
	// Release notes: a new tab without a way back to the page; a link that
	// is not http(s) is not shown.
	link := evalJS[map[string]string](t, tab, fmt.Sprintf(`(() => { const a = document.querySelector(%q);
		return a ? {href: a.href, target: a.target, rel: a.rel, text: a.textContent} : {}; })()`, row("web-1")+" a.release"))
	if link["href"] != "https://github.com/shop/web/releases/tag/1.9.0" || link["target"] != "_blank" ||
		!strings.Contains(link["rel"], "noopener") || link["text"] != "Release notes" {
		t.Errorf("web-1 release notes link: got %v, want https://github.com/shop/web/releases/tag/1.9.0 in a new tab with rel=noopener", link)
	}
	if n := evalJS[int](t, tab, fmt.Sprintf(`document.querySelectorAll(%q).length`, row("cache")+" a")); n != 0 {
		t.Errorf("cache, whose release link is javascript:: got %d links, want none", n)
	}

	// States, notes and flags.
	for _, want := range []struct{ name, state, note, flag string }{
		{"web-1", "running", "", ""},
		{"web-2", "running", "1.9.0 is cooling down until ", "cooling"},
		{"api", "paused", "Skipped 2.0.1 by admin: it is not applied until a newer version appears.", "skipped"},
		{"db", "running", "pinned; the tag has moved to sha256:2222222222. Update re-pins it.", "pinned"},
		{"worker-1", "restarting", "Held 1.1: rolled back: the new container exited with code 3. Update applies it anyway.", "held"},
		{"worker-11", "exited", "", ""},
		{"worker-2", "", "", ""},
	} {
		got := evalJS[map[string]string](t, tab, fmt.Sprintf(`(() => { const li = document.querySelector(%q);
			const q = (s) => li.querySelector(s);
			return {state: q('.c-state') ? q('.c-state').textContent : '', note: q('.c-note') ? q('.c-note').textContent : '',
			        flag: q('.badge.flag') ? q('.badge.flag').dataset.flag : ''}; })()`, row(want.name)))
		if got["state"] != want.state || !strings.HasPrefix(got["note"], want.note) || (want.note == "") != (got["note"] == "") || got["flag"] != want.flag {
			t.Errorf("%s: got state %q, note %q, flag %q; want state %q, note starting %q, flag %q",
				want.name, got["state"], got["note"], got["flag"], want.state, want.note, want.flag)
		}
	}
	if got := evalJS[[]string](t, tab, `[...document.querySelectorAll('.c-kind')].map((e) => e.closest('li').dataset.name + ' ' + e.textContent)`); !slices.Equal(got, []string{"api service"}) {
		t.Errorf("service markers: got %q, want [api service]", got)
	}
	if got := textOf(t, tab, row("worker-1")+" p.error"); got != "Last update failed: the new container exited with code 3 (rolled back)" {
		t.Errorf("worker-1 error line: got %q, want its last failure", got)
	}

	// Cooldown: "Update anyway" asks first; Cancel sends nothing, the
	// confirmation sends force.
	update := row("web-2") + " button.update"
	if got := textOf(t, tab, update); got != "Update anyway" {
		t.Fatalf("web-2 update button: got %q, want Update anyway", got)
	}
	must(t, "ask to update web-2 anyway, then cancel", chromedp.Do(tab,
		click(update),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
	))
	if got := textOf(t, tab, "#confirm"); !strings.Contains(got, "is cooling down until") || !strings.Contains(got, "Update web-2 to 1.9.0 now?") {
		t.Errorf("confirmation of web-2's early update: got %q, want the cooldown and the question", got)
	}
	if got := evalJS[string](t, tab, `document.activeElement.id`); got != "confirm-cancel" {
		t.Errorf("focus in the confirmation: got #%s, want #confirm-cancel", got)
	}
	must(t, "cancel", chromedp.Do(tab, click("#confirm-cancel"), chromedp.WaitNotVisible(chromedp.CSS("#confirm"))))
	if got := api.seen(); len(got) != 0 {
		t.Fatalf("requests after cancelling: got %q, want none", got)
	}
	must(t, "update web-2 anyway", chromedp.Do(tab,
		click(update),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		click("#confirm-ok"),
	))
	waitRequests(t, api, []string{`POST /api/images/bbbbbbbbbb02/update {"force":true}`})

	// Skip, then undo: the buttons follow the API.
	must(t, "skip web-1's 1.9.0", chromedp.Do(tab,
		click(row("web-1")+" button.skip"),
		chromedp.WaitVisible(chromedp.CSS(row("web-1")+" button.unskip")),
	))
	if got := textOf(t, tab, row("web-1")+" .c-note"); got != "Skipped 1.9.0 by the dashboard: it is not applied until a newer version appears." {
		t.Errorf("web-1 after the skip: note %q, want Skipped 1.9.0 by the dashboard: ...", got)
	}
	must(t, "undo the skip", chromedp.Do(tab,
		click(row("web-1")+" button.unskip"),
		chromedp.WaitVisible(chromedp.CSS(row("web-1")+" button.skip")),
	))
	waitRequests(t, api, []string{
		`POST /api/images/bbbbbbbbbb02/update {"force":true}`,
		`POST /api/images/bbbbbbbbbb01/skip`,
		`DELETE /api/images/bbbbbbbbbb01/skip`,
	})
	// A skip cutover refuses says why, in the container's row.
	must(t, "skip cache's 7.1", chromedp.Do(tab, click(row("cache")+" button.skip")))
	waitJS(t, tab, "the refusal shown", fmt.Sprintf(`document.querySelector(%q).textContent === %q`, row("cache")+" p.error",
		"Could not skip this version: container 'eeeeeeeeee01' is offered no newer version: there is nothing to skip"))

	// Every outdated container: the confirmation lists what is updated and
	// what is left alone, and why; then one request for the image group
	// taken whole (its image is pulled once), one per container for the
	// others, none with force.
	if got := textOf(t, tab, "#update-outdated"); got != "Update every outdated container (4)" {
		t.Errorf("bulk button: got %q, want Update every outdated container (4)", got)
	}
	// By keyboard: Escape closes the confirmation, sends nothing, and puts
	// the focus back on the button.
	must(t, "open the confirmation and press Escape", chromedp.Do(tab,
		chromedp.Focus(chromedp.CSS("#update-outdated")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		chromedp.KeyEvent("\x1b"),
		chromedp.WaitNotVisible(chromedp.CSS("#confirm")),
	))
	if got := evalJS[string](t, tab, `document.activeElement.id`); got != "update-outdated" {
		t.Errorf("focus after Escape: got #%s, want #update-outdated", got)
	}
	if got := len(api.seen()); got != 4 {
		t.Errorf("requests after Escape: got %d, want the 4 before", got)
	}
	// Asked again at once, before the closing of the first question has
	// been announced: the second question stands.
	must(t, "ask, close and ask again at once", chromedp.Do(tab,
		click("#update-outdated"),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
	))
	evalJS[bool](t, tab, `(() => { document.querySelector('#confirm').close(); document.querySelector('#update-outdated').click(); return true; })()`)
	must(t, "see the question again", chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS("#confirm"))))
	take := evalJS[[]string](t, tab, `[...document.querySelectorAll('#confirm [data-list=take] li')].map((li) => li.textContent)`)
	leave := evalJS[[]string](t, tab, `[...document.querySelectorAll('#confirm [data-list=leave] li')].map((li) => li.textContent)`)
	wantTake := []string{"cache 7 → 7.1 localhost:5000/shop/cache:7", "cache-2 7 → 7.1 localhost:5000/shop/cache:7", "web-1 1.4.2 → 1.9.0 localhost:5000/shop/web:1.4.2",
		"worker-2 sha256:1111111111 → sha256:2222222222 localhost:5000/shop/worker:latest"}
	if !slices.Equal(take, wantTake) {
		t.Errorf("confirmation, to update: got %q, want %q", take, wantTake)
	}
	wantLeave := []string{"api: skipped 2.0.1", "db: pinned to a digest: update it by itself to re-pin",
		"web-2: already being updated", "worker-1: held: rolled back: the new container exited with code 3"}
	if !slices.Equal(leave, wantLeave) {
		t.Errorf("confirmation, left alone: got %q, want %q", leave, wantLeave)
	}
	if got := textOf(t, tab, "#confirm-ok"); got != "Update 4 containers" {
		t.Errorf("confirmation button: got %q, want Update 4 containers", got)
	}
	must(t, "confirm", chromedp.Do(tab, click("#confirm-ok")))
	requests := []string{
		`POST /api/images/bbbbbbbbbb02/update {"force":true}`,
		`POST /api/images/bbbbbbbbbb01/skip`,
		`DELETE /api/images/bbbbbbbbbb01/skip`,
		`POST /api/images/eeeeeeeeee01/skip`,
		`POST /api/images/aaaaaaaaaa02/update`,
		`POST /api/images/bbbbbbbbbb01/update`,
		`POST /api/groups/update {"image":"localhost:5000/shop/cache:7"}`,
	}
	waitRequests(t, api, requests)

	// A version held after a rollback is released as a skip is undone.
	must(t, "release worker-1's 1.1", chromedp.Do(tab,
		click(row("worker-1")+" button.unskip"),
		chromedp.WaitVisible(chromedp.CSS(row("worker-1")+" button.skip")),
	))
	if n := evalJS[int](t, tab, fmt.Sprintf(`document.querySelectorAll(%q).length`, row("worker-1")+" .c-note, "+row("worker-1")+" .badge.flag")); n != 0 {
		t.Errorf("worker-1 after the release: %d notes or flags, want none", n)
	}
	waitRequests(t, api, append(requests, `DELETE /api/images/aaaaaaaaaa01/skip`))

	dir := t.TempDir()
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	saveShot(t, png, filepath.Join(dir, "versions.png"), "/tmp/cutover-dashboard-versions.png")
	must(t, "emulate a phone in dark mode", chromedp.Do(tab, darkPhone()...))
	png, err = chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("phone screenshot: %v", err)
	}
	saveShot(t, png, filepath.Join(dir, "versions-phone-dark.png"), "/tmp/cutover-dashboard-versions-phone-dark.png")
}

// waitRequests waits until the fake API has seen exactly want, in any
// order.
func waitRequests(t *testing.T, api *fakeAPI, want []string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	var got []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = slices.Sorted(slices.Values(api.seen()))
		if slices.Equal(got, want) {
			return
		}
	}
	t.Fatalf("requests to the API: got %q, want %q", got, want)
}

package web_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationBrowserEngines shows the containers of two engines, with
// the same container name on both: each is listed as ENGINE/NAME, an
// image's containers engine by engine, and the
// engine filter shows one engine's alone and keeps the choice in the
// page's address, and a line says which engine does not answer. With
// one engine neither the filter nor that line is shown.
func TestIntegrationBrowserEngines(t *testing.T) {
	t.Parallel()
	browser := testenv.RequireTool(t, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
	const d1, d2 = "sha256:1111111111", "sha256:2222222222"
	api := &fakeAPI{groups: []fakeGroup{
		{Image: "localhost:5000/shop/web:latest", RemoteDigest: d2, Status: "partial", Containers: []map[string]any{
			container("aaaaaaaaaa01", "web", d1, "outdated", map[string]any{"host": "web1", "state": "running"}),
			container("bbbbbbbbbb01", "web", d2, "uptodate", map[string]any{"host": "web2", "state": "running"}),
			container("bbbbbbbbbb02", "cache", d2, "uptodate", map[string]any{"host": "web2", "state": "running"}),
		}},
	}, hosts: []map[string]any{
		{"host": "web1", "up": true, "checked_at": "2026-01-02T03:04:05Z"},
		{"host": "web2", "up": false, "error": "connection refused"},
	}}
	base := api.start(t)
	row := func(name string) string { return fmt.Sprintf(`li.container[data-name=%q]`, name) }
	tab := openPage(t, browser, 1280, 900, base+"/", chromedp.WaitVisible(chromedp.CSS(row("web2/cache"))))

	if got, want := names(t, tab), []string{"web1/web", "web2/cache", "web2/web"}; !slices.Equal(got, want) {
		t.Errorf("containers listed: got %v, want %v", got, want)
	}
	must(t, "see the engines line", chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(`#engines .engine[data-host="web2"][data-up="false"]`))))
	if got, want := textOf(t, tab, "#engines"), "Engines: web1 · web2 unreachable: connection refused"; got != want {
		t.Errorf("engines line: got %q, want %q", got, want)
	}
	must(t, "see the engine filter", chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS("#host-filter"))))
	evalJS[bool](t, tab, `(() => { const s = document.querySelector('#host-filter'); s.value = 'web2'; return s.dispatchEvent(new Event('change')); })()`)
	if got, want := names(t, tab), []string{"web2/cache", "web2/web"}; !slices.Equal(got, want) {
		t.Errorf("containers listed with engine web2 chosen: got %v, want %v", got, want)
	}
	if got := evalJS[string](t, tab, `location.search`); got != "?host=web2" {
		t.Errorf("page address with engine web2 chosen: got %q, want ?host=web2", got)
	}
	if got := textOf(t, tab, "#shown"); got != "Showing 2 of 3 containers." {
		t.Errorf("shown line: got %q, want Showing 2 of 3 containers.", got)
	}

	one := &fakeAPI{groups: versionsFixture(time.Now())}
	tab = openPage(t, browser, 1280, 900, one.start(t)+"/", chromedp.WaitVisible(chromedp.CSS(row("web-1"))))
	if hidden := evalJS[bool](t, tab, `document.getElementById('host-filter').closest('label').hidden`); !hidden {
		t.Errorf("with one engine, the engine filter is offered; want it hidden")
	}
	if hidden := evalJS[bool](t, tab, `document.getElementById('engines').hidden`); !hidden {
		t.Errorf("with one engine, the engines line is shown; want it hidden")
	}
}

package web_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// evalJS evaluates a JavaScript expression in the tab.
func evalJS[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// textOf is the text of the first element sel matches, "" when there is
// none.
func textOf(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	return evalJS[string](t, tab, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.textContent.trim() : ''; })()`, sel))
}

// counts reads the numbers of the summary line.
func counts(t *testing.T, tab context.Context) map[string]int {
	t.Helper()
	return evalJS[map[string]int](t, tab, `Object.fromEntries([...document.querySelectorAll('#summary [data-count]')].map((e) => [e.dataset.count, Number(e.dataset.n)]))`)
}

// names are the containers listed, in the order shown.
func names(t *testing.T, tab context.Context) []string {
	t.Helper()
	return evalJS[[]string](t, tab, `[...document.querySelectorAll('li.container')].map((li) => li.dataset.name)`)
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// typeKey presses a printable key as a keyboard does: a keydown that
// carries the text, so that a page cancelling the keydown keeps the
// character out of the field (chromedp.KeyEvent sends the character as an
// event of its own, which no page can cancel).
func typeKey(key, code string, keyCode int64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: key, Code: code, Text: key, UnmodifiedText: key, WindowsVirtualKeyCode: keyCode}
		if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, down); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: key, Code: code, WindowsVirtualKeyCode: keyCode})
		return err
	})
}

// goTo opens the dashboard's page at url in a fresh tab. chromedp.Navigate
// also waits for the load event, and in a tab that has not navigated yet,
// on a loaded machine, it can miss the start of the navigation and wait
// forever; the steps after goTo wait for what they need instead. Later
// navigations of the tab use chromedp.Navigate, so that no step sees the
// page before.
//
// chromedp finds elements in the document it has been told of. A fresh tab
// on a loaded machine can hear of the new document before it knows the
// page's frame, and then never learns of it: every later step waits for
// ever. So goTo waits, a while, for the page's #dashboard section, which
// its markup always has, and navigates again if chromedp never sees it.
func goTo(url string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		var err error
		for range 3 {
			res, navErr := cdp.Call(ctx, tg, page.Navigate, page.NavigateParams{URL: url})
			if navErr == nil && res.ErrorText != "" {
				navErr = errors.New(res.ErrorText)
			}
			if navErr != nil {
				return navErr
			}
			seen, cancel := context.WithTimeout(ctx, 30*time.Second)
			_, err = chromedp.WaitReady(chromedp.CSS("#dashboard"))(seen, tg)
			cancel()
			if err == nil || ctx.Err() != nil {
				return err
			}
		}
		return fmt.Errorf("open %s: the page's document never reached the browser's driver: %w", url, err)
	})
}

// click clicks the element sel matches, as a mouse does. The page redraws
// its list when the statuses change, so the element found can be replaced
// before the click lands: then it is found again.
func click(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		var err error
		for range 5 {
			if _, err = chromedp.Click(chromedp.CSS(sel))(ctx, tg); err == nil || !strings.Contains(err.Error(), "node") {
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
		return err
	})
}

// openPage starts a browser with a window of w×h, opens the dashboard's
// page at url and runs first (the log-in, or a wait for what the test looks
// at first); the tab is closed when the test ends. A browser that stalls
// on the way, as one does now and then on a loaded machine, is closed and
// a fresh one tried: a stall there says nothing of the page, which the
// steps after it judge.
func openPage(t *testing.T, browser string, w, h int, url string, first ...chromedp.Action[chromedp.Void]) context.Context {
	t.Helper()
	const attempts = 3
	for attempt := 1; ; attempt++ {
		tab, closeTab := openTab(t, browser, w, h)
		// The first run starts the browser, which lives as long as the
		// context of that run: it gets no time limit of its own.
		err := chromedp.Do(tab)
		if err == nil {
			opening, cancel := context.WithTimeout(tab, 2*time.Minute)
			err = chromedp.Do(opening, append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(int64(w), int64(h)), goTo(url)}, first...)...)
			cancel()
		}
		if err == nil {
			t.Cleanup(closeTab)
			return tab
		}
		closeTab()
		if attempt == attempts {
			t.Fatalf("open %s in a browser: %d attempts failed, the last: %v", url, attempts, err)
		}
		t.Logf("open %s in a browser, attempt %d: %v; trying a fresh browser", url, attempt, err)
	}
}

// logIn signs in on the page's form as admin with password.
func logIn(password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#login-user"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#login-pass"), password),
		click("#login-submit"),
		chromedp.WaitVisible(chromedp.CSS("#dashboard")),
	)
}

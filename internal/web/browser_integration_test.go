package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/cutover/cutover/internal/cli"
	"github.com/cutover/cutover/internal/testenv"
)

// ScreenshotCopy is where the browser test leaves a copy of its screenshot,
// for a person to look at after the run.
const ScreenshotCopy = "/tmp/cutover-dashboard.png"

// TestIntegrationBrowserDashboard drives the dashboard in headless Chromium
// against a real cutover, engine and registry: log in, find an outdated
// container, update it while the progress bar runs to done, see it up to
// date, and switch auto-update on for good.
func TestIntegrationBrowserDashboard(t *testing.T) {
	browser := testenv.RequireTool(t, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)

	repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "dash")
	v1, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Version: "v1", ExtraLayers: 3})
	name := testenv.Name(t, "dash")
	testenv.RunContainer(t, name, v1)
	ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: repo, Version: "v2", ExtraLayers: 3})
	// The tag now names v2 locally: drop it, so the update has to pull.
	testenv.RemoveImageLocal(t, ref)
	// Runs before the image cleanups: an image a running container uses
	// cannot be removed.
	t.Cleanup(func() { removeContainer(t, name) })

	base := startServe(t, t.TempDir(), "--ui-password", "correct horse", name)

	tab := openPage(t, browser, 1280, 900, base+"/", logIn("correct horse"))

	row := fmt.Sprintf(`li.container[data-name=%q]`, name)
	must(t, "see the container outdated", chromedp.Do(tab,
		chromedp.WaitVisible(chromedp.CSS(row+` .badge[data-status="outdated"]`)),
	))

	must(t, "click Update", chromedp.Do(tab, click(row+" button.update")))
	// Follow the bar until it says done, noting every state it shows.
	var seen []string
	disabledWhileRunning := false
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, err := chromedp.Run(tab, chromedp.Evaluate[barState](fmt.Sprintf(`(() => {
			const li = document.querySelector(%q);
			if (!li) return {status: "", disabled: false, value: -1};
			const box = li.querySelector('.progress');
			const bar = box.querySelector('progress');
			return {status: box.hidden ? "" : (box.dataset.status || ""),
			        disabled: li.querySelector('button.update').disabled,
			        value: bar.hasAttribute('value') ? bar.value : -1};
		})()`, row)))
		if err != nil {
			t.Fatalf("read the progress bar: %v", err)
		}
		if st.Status != "" && (len(seen) == 0 || seen[len(seen)-1] != st.Status) {
			seen = append(seen, st.Status)
		}
		if st.Status != "" && st.Status != "done" && st.Disabled {
			disabledWhileRunning = true
		}
		if st.Status == "done" {
			if st.Value != 100 {
				t.Errorf("progress bar at done: value %v, want 100", st.Value)
			}
			break
		}
		if len(st.Status) > 6 && st.Status[:6] == "error:" || st.Status == "rolled back" {
			t.Fatalf("update of %s ended %q (states seen: %q)", name, st.Status, seen)
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress bar of %s never reached done; states seen: %q", name, seen)
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Logf("progress bar states: %q", seen)
	if !disabledWhileRunning {
		t.Errorf("Update button of %s was never disabled while its update ran (states %q)", name, seen)
	}
	must(t, "see the container up to date", chromedp.Do(tab,
		chromedp.WaitVisible(chromedp.CSS(row+` .badge[data-status="uptodate"]`)),
		chromedp.WaitEnabled(chromedp.CSS(row+" button.update")),
	))

	must(t, "switch auto-update on", chromedp.Do(tab,
		click(row+" input.auto-update"),
	))
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](fmt.Sprintf(
		`(() => { const i = document.querySelector(%q); return !!i && i.checked && !i.hasAttribute('data-saving'); })()`,
		row+" input.auto-update"), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("auto-update switch of %s did not stay on: %v", name, err)
	}
	must(t, "reload", chromedp.Do(tab,
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(row+` .badge[data-status="uptodate"]`)),
	))
	on, err := chromedp.Run(tab, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).checked`, row+" input.auto-update")))
	if err != nil || !on {
		t.Errorf("auto-update switch of %s after a reload: got %v (err %v), want on", name, on, err)
	}

	shot := filepath.Join(t.TempDir(), "dashboard.png")
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	saveShot(t, png, shot, ScreenshotCopy)

	// The same page on a phone, in dark mode.
	must(t, "emulate a phone in dark mode", chromedp.Do(tab, darkPhone()...))
	phone, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("phone screenshot: %v", err)
	}
	saveShot(t, phone, filepath.Join(filepath.Dir(shot), "dashboard-phone-dark.png"), "/tmp/cutover-dashboard-phone-dark.png")
}

// darkPhone makes the tab a phone's screen in dark mode.
func darkPhone() []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
			})
			return err
		}),
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Sleep(300 * time.Millisecond),
	}
}

type barState struct {
	Status   string  `json:"status"`
	Disabled bool    `json:"disabled"`
	Value    float64 `json:"value"`
}

func must(t *testing.T, step string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

func saveShot(t *testing.T, png []byte, path, copyTo string) {
	t.Helper()
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyTo, png, 0o644); err != nil {
		t.Errorf("copy the screenshot to %s: %v", copyTo, err)
	}
	t.Logf("screenshot: %s (copy at %s)", path, copyTo)
}

func removeContainer(t *testing.T, name string) {
	out, err := exec.Command("docker", "rm", "--force", "--volumes", name).CombinedOutput()
	if err != nil && !bytes.Contains(out, []byte("No such container")) {
		t.Errorf("remove container %s: %v: %s", name, err, out)
	}
}

// startServe runs "cutover serve" in this process on a free port and returns
// its base URL; the server stops when the test ends.
func startServe(t *testing.T, dataDir string, args ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, append([]string{"serve", "--listen", addr, "--data-dir", dataDir, "--no-startup-message"}, args...), &out, &out)
	}()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("cutover did not stop within 30 s")
		}
		if t.Failed() {
			t.Logf("cutover output:\n%s", out.String())
		}
	})
	t.Cleanup(stop)
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case code := <-done:
			t.Fatalf("cutover serve exited with %d:\n%s", code, out.String())
		default:
		}
		if resp, err := http.Get(base + "/api/auth/status"); err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("cutover serve did not answer on %s within 30 s:\n%s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// openTab starts a headless Chromium with a window of w×h and returns a tab
// in it and the function that closes both; every action in the tab has 6
// minutes in all.
func openTab(t *testing.T, browser string, w, h int) (context.Context, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(w, h),
	)
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	return tab, func() { cancelTab(); cancelAlloc(); cancel() }
}

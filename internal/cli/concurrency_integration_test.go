package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationHundredMixedTriggers fires 100 triggers for one container
// through the Watchtower API, the deploy webhook, the dashboard and the
// scheduler at once, while a newer image is pushed halfway: at most one
// swap runs at any moment, and the container ends once, on the newest image.
func TestIntegrationHundredMixedTriggers(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	scope := testenv.Name(t, "scope")
	ref, _, pushNext := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	name := testenv.Name(t, "mixed")
	testenv.RunContainer(t, name, "-p", "127.0.0.1::8000", "--label", "com.centurylinklabs.watchtower.scope="+scope,
		"--label", "com.centurylinklabs.watchtower.enable=true", ref)
	pushNext(testenv.ImageSpec{Version: "v2"})
	dir := t.TempDir()
	d := startServe(t, dir, "--scope", scope, "--http-api-update", "--http-api-periodic-polls", "--interval", "1")
	keyBytes, _ := os.ReadFile(filepath.Join(dir, "api_key"))
	key := strings.TrimSpace(string(keyBytes))
	// The dashboard's Update button is on a row the dashboard shows.
	waitFor(t, name+" listed by the dashboard", 60*time.Second, func() bool {
		_, body := call(t, "GET", "http://"+d.addr+"/api/images", "Bearer "+key, "", "")
		return strings.Contains(body, `"container_name":"`+name+`"`)
	})

	// Watch for two swaps of the container at once: two temporary copies.
	var overlap atomic.Bool
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			temps := 0
			for _, n := range namesLike(t, name) {
				if strings.HasSuffix(n, "-cutover-new") {
					temps++
				}
			}
			if temps > 1 {
				overlap.Store(true)
			}
		}
	}()

	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := range 100 {
		if i == 50 {
			pushNext(testenv.ImageSpec{Version: "v3"})
		}
		wg.Go(func() {
			var code int
			switch i % 3 {
			case 0:
				code, _ = call(t, "POST", "http://"+d.addr+"/v1/update", "Bearer "+key, "", "")
			case 1:
				code, _ = call(t, "POST", "http://"+d.addr+"/update", key, "application/json", fmt.Sprintf(`{"container":"%s","image":"%s"}`, name, ref))
			case 2:
				code, _ = call(t, "POST", "http://"+d.addr+"/api/images/"+name+"/update", "Bearer "+key, "", "")
			}
			if code != 200 {
				bad.Add(1)
				t.Errorf("trigger %d (kind %d): got %d, want 200", i, i%3, code)
			}
		})
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	// The last triggers may still be running in the background (dashboard
	// updates answer at once): let the container settle on the newest image.
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, err := testenv.HTTPGet(t, "http://"+testenv.PublishedPort(t, name, "8000")+"/")
		if strings.TrimSpace(v) == "v3" {
			break
		}
		if time.Now().After(deadline) {
			_, images := call(t, "GET", "http://"+d.addr+"/api/images", "Bearer "+key, "", "")
			t.Fatalf("%s not answering v3 within 60s: last answer %q (%v); containers %v, image %s; /api/images: %s", name, v, err,
				namesLike(t, name), testenv.Docker(t, "inspect", "--format", "{{.Image}} {{.State.Status}} {{.RestartCount}}", name), images)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// The swap that put v3 in place may still be removing the old
	// container: wait until the dashboard reports that update finished,
	// which it does only after that removal.
	waitFor(t, name+"'s last update to finish", 60*time.Second, func() bool {
		code, body := call(t, "GET", "http://"+d.addr+"/api/images/"+name+"/progress", "Bearer "+key, "", "")
		var p struct{ Status string }
		if code != 200 || json.Unmarshal([]byte(body), &p) != nil {
			return false
		}
		return p.Status == "done" || p.Status == "rolled back" || strings.HasPrefix(p.Status, "error: ")
	})
	close(stop)
	<-watched
	if overlap.Load() {
		t.Error("two swaps of the container ran at the same time")
	}
	if n := bad.Load(); n != 0 {
		t.Errorf("%d of 100 triggers were not answered 200", n)
	}
	requireOnce(t, name)
}

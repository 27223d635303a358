package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// cutoverImage builds cutover into a scratch image and pushes it as repo:tag;
// version only changes a label, so each push is a new digest.
func cutoverImage(t *testing.T, repo, version string) string {
	t.Helper()
	dir := t.TempDir()
	bin, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "cutover"), bin, 0o755)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY cutover /cutover\nLABEL cutover.test=1 cutover.test.version="+version+"\nENTRYPOINT [\"/cutover\"]\n"), 0o644)
	ref := repo + ":latest"
	testenv.Docker(t, "build", "-q", "-t", ref, dir)
	testenv.Docker(t, "push", ref)
	t.Cleanup(func() { testenv.RemoveImageLocal(t, ref) })
	return testenv.Docker(t, "inspect", "--format", "{{.Id}}", ref)
}

// TestIntegrationSelfUpdate runs cutover in a container and gives it a newer
// image of itself: the new instance takes over, the old one is gone, and
// the next pass finds nothing to do (no loop of copies).
func TestIntegrationSelfUpdate(t *testing.T) {
	testenv.RequireEngine(t)
	t.Parallel()
	repo := testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "self")
	cutoverImage(t, repo, "1")
	name := testenv.Name(t, "self")
	addr := freeAddr(t)
	// Host networking: the registries listen on the host's loopback.
	testenv.RunContainer(t, name, "--network", "host", "-v", "/var/run/docker.sock:/var/run/docker.sock",
		repo+":latest", "serve", "--listen", addr, "--http-api-update", "--http-api-token", "tok", "--health-grace", "1s", name)
	waitFor(t, "the containerised cutover to answer", 30*time.Second, func() bool {
		code, _, err := tryCall("http://" + addr + "/health")
		return err == nil && code == 200
	})
	oldID := containerID(t, name)
	v2 := cutoverImage(t, repo, "2")

	code, body := call(t, "POST", "http://"+addr+"/v1/update", "Bearer tok", "", "")
	if code != 200 || !strings.Contains(body, "handed over") {
		t.Fatalf("update of cutover itself: got %d %s, want the hand-over reported", code, body)
	}
	waitFor(t, "the new instance to take over", 90*time.Second, func() bool {
		names := namesLike(t, name)
		return len(names) == 1 && names[0] == name && imageOf(t, name) == v2 &&
			testenv.Docker(t, "inspect", "--format", "{{.State.Status}}", name) == "running"
	})
	waitFor(t, "the new instance to answer", 30*time.Second, func() bool {
		code, _, err := tryCall("http://" + addr + "/health")
		return err == nil && code == 200
	})
	newID := containerID(t, name)
	if newID == oldID {
		t.Fatal("the cutover container was not replaced")
	}
	code, body = call(t, "POST", "http://"+addr+"/v1/update", "Bearer tok", "", "")
	if code != 200 || !strings.Contains(body, `"updated":0`) || strings.Contains(body, "handed over") {
		t.Errorf("pass on the new instance: got %d %s, want nothing to do", code, body)
	}
	time.Sleep(3 * time.Second)
	if got := namesLike(t, name); len(got) != 1 || containerID(t, name) != newID {
		t.Errorf("after the new instance's pass: containers %v, id changed %v; want one instance, untouched", got, containerID(t, name) != newID)
	}
}

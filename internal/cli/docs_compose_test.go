package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestComposeFilesValid runs docker-compose config on compose.yml and every
// compose file in examples/, as a user would start them (no variable set),
// and checks what compose.yml promises: the engine's socket, a named volume
// for the state, a restart policy, and the port on loopback only. The
// files are started for real by TestIntegrationWatchtowerComposeDropIn
// (examples/watchtower-compose.yml), TestIntegrationComposeDeployFromCI
// (compose.yml), TestIntegrationDashboardCompose
// (examples/dashboard-compose.yml) and the Compose stack tests
// (examples/compose-atomic-stack.yml, TestIntegrationCompose*Stack* and
// TestIntegrationComposeWriteKeepsAVersionMove); the socket proxy's needs its image from
// Docker Hub, so only its switches are checked, by
// TestIntegrationDocsCurlExamples.
func TestComposeFilesValid(t *testing.T) {
	testenv.RequireTool(t, "docker-compose")
	root := testenv.RepoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "examples", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Errorf("examples/: %d compose files, want at least 4 (Watchtower, deploy webhook, dashboard, socket proxy)", len(files))
	}
	files = append([]string{filepath.Join(root, "compose.yml")}, files...)
	env := withoutEnv(os.Environ(), "CUTOVER_", "APP_IMAGE=", "CACHE_IMAGE=", "HTTP_PORT=", "SOCKET_PROXY_IMAGE=", "COMPOSE_", "DB_IMAGE=", "API_IMAGE=", "WEB_IMAGE=", "WEB_PORT=")
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		cmd := exec.Command("docker-compose", "--file", f, "config")
		cmd.Dir, cmd.Env = root, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("docker-compose --file %s config: %v\n%s", rel, err, out)
			continue
		}
		if rel != "compose.yml" {
			continue
		}
		for _, want := range []string{
			"- 127.0.0.1:8080:8080/tcp",
			"restart: unless-stopped",
			"- /var/run/docker.sock:/var/run/docker.sock",
			"- cutover-data:/data",
			"image: cutover:dev",
		} {
			if !strings.Contains(string(out), want) {
				t.Errorf("docker-compose --file compose.yml config: want a line %q, got:\n%s", want, out)
			}
		}
	}
}

// TestIntegrationDashboardCompose starts examples/dashboard-compose.yml with
// the image make image builds, as its header says, and logs in to the
// dashboard with the password from the secret file: the page loads, and the
// two applications of the file are listed, checked against the registry.
// As in the other compose tests, cutover gets a view of the engine that
// shows only this project's containers, and the password file of the test
// replaces the one the example expects beside it.
func TestIntegrationDashboardCompose(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "docker-compose")
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	root := testenv.RepoRoot(t)

	image := testenv.Name(t, "cutover") + ":dev"
	makeImage(t, root, image)
	web, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "web"), HealthInterval: "1s"})
	cache, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "cache")})
	password := "a long passphrase " + testenv.Name(t, "pw")
	secret := filepath.Join(t.TempDir(), "ui_password")
	if err := os.WriteFile(secret, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(freeAddr(t))
	project := composeProjectName(t)
	socket := engineView(t, func(l map[string]string) bool { return l["com.docker.compose.project"] == project })
	p := startCompose(t, root, project, "examples/dashboard-compose.yml", fmt.Sprintf(`services:
  cutover:
    volumes:
      - %[1]s:/var/run/docker.sock
    labels:
      - "%[3]s"
  web:
    labels:
      - "%[3]s"
  cache:
    labels:
      - "%[3]s"
secrets:
  ui_password:
    file: %[2]s
`, socket, secret, testenv.TestLabel), "CUTOVER_IMAGE="+image, "CUTOVER_PORT="+port, "APP_IMAGE="+web, "CACHE_IMAGE="+cache)
	cutover := p.container(t, "cutover")
	requireMount(t, cutover, socket, "/var/run/docker.sock")
	relayRegistries(t, cutover, testenv.PlainRegistry)
	base := "http://127.0.0.1:" + port
	waitHealthy(t, base+"/health", p)

	if code, body := call(t, http.MethodGet, base+"/", "", "", ""); code != http.StatusOK || !strings.Contains(body, "<title>cutover</title>") {
		t.Fatalf("GET /: status %d, want 200 and the dashboard page; body:\n%.300s", code, body)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	login, _ := json.Marshal(map[string]string{"user": "admin", "pass": password})
	resp, err := client.Post(base+"/api/login", "application/json", bytes.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/login as admin with the password of the secret file: status %d, want 200", resp.StatusCode)
	}
	webName, cacheName := containerName(t, p.container(t, "web")), containerName(t, p.container(t, "cache"))
	var groups []group
	waitFor(t, "both applications listed as up to date on the dashboard", 2*time.Minute, func() bool {
		resp, err := client.Get(base + "/api/images")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&groups) != nil {
			return false
		}
		seen := 0
		for _, g := range groups {
			for _, c := range g.Containers {
				if (c.Name == webName || c.Name == cacheName) && c.Status == "uptodate" {
					seen++
				}
			}
		}
		return seen == 2
	})
	_, w := findContainer(t, groups, webName)
	_, c := findContainer(t, groups, cacheName)
	if !w.AutoUpdate || c.AutoUpdate {
		t.Errorf("auto-update: %s %v, %s %v; want on for web (its cutover.enable=true label), off for cache", webName, w.AutoUpdate, cacheName, c.AutoUpdate)
	}
}

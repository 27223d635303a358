package testenv_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationEngines checks that both engines run what cutover's tests
// and users' containers need: an image from the test registry, a published
// loopback port, a user network whose alias another container reaches, a
// named volume that outlives a restart, and a restart policy.
func TestIntegrationEngines(t *testing.T) {
	testenv.RequireRegistries(t)
	ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{
		Repo:    testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "engines"),
		Version: "v1",
	})
	var apis []string
	testenv.ForEachEngine(t, func(t *testing.T, e *testenv.Engine) {
		apis = append(apis, e.APIVersion)
		network, volume := testenv.Name(t, "net"), testenv.Name(t, "data")
		e.CreateNetwork(t, network)
		e.CreateVolume(t, volume)
		server := testenv.Name(t, "server")
		// docker run pulls the image, which only the shared engine has.
		e.RunContainer(t, server, "--network", network, "--network-alias", "svc",
			"-p", "127.0.0.1::8000", "-v", volume+":/data", "-e", "APP_DATA=/data", ref)
		base := "http://" + e.PublishedPort(t, server, "8000")
		testenv.WaitHTTP(t, base+"/data", "v1", 15*time.Second)

		peer := testenv.Name(t, "peer")
		e.RunContainer(t, peer, "--network", network, ref)
		waitFor(t, e, "peer "+peer+" reaching svc:8000", func() (string, bool) {
			out, err := e.TryDocker("exec", peer, "/app", "get", "http://svc:8000/")
			return out, err == nil && strings.TrimSpace(out) == "v1"
		})

		e.Docker(t, "restart", "--time", "5", server)
		testenv.WaitHTTP(t, "http://"+e.PublishedPort(t, server, "8000")+"/data", "v1\nv1", 15*time.Second)

		crashing := testenv.Name(t, "crashing")
		e.RunContainer(t, crashing, "--restart", "on-failure", "-e", "APP_MODE=crash", ref)
		waitFor(t, e, "container "+crashing+" restarted by its policy", func() (string, bool) {
			out, _ := e.TryDocker("inspect", "--format", "{{.RestartCount}}", crashing)
			n, err := strconv.Atoi(out)
			return out, err == nil && n >= 1
		})
	})
	if len(apis) == 2 && !versions.LessThan(apis[0], apis[1]) {
		t.Errorf("API versions: shared %s, current %s, want the current engine's newer", apis[0], apis[1])
	}
}

// TestIntegrationComposeV2 starts a one-service project with Compose v2 on
// each engine and finds its container running.
func TestIntegrationComposeV2(t *testing.T) {
	testenv.RequireRegistries(t)
	testenv.RequireComposeV2(t)
	ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{
		Repo:    testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "compose"),
		Version: "v1",
	})
	testenv.ForEachEngine(t, func(t *testing.T, e *testenv.Engine) {
		dir := t.TempDir()
		file := filepath.Join(dir, "compose.yml")
		yml := "services:\n  web:\n    image: " + ref + "\n    labels: [cutover.test=1]\n    ports: [\"127.0.0.1::8000\"]\n"
		if err := os.WriteFile(file, []byte(yml), 0o644); err != nil {
			t.Fatal(err)
		}
		project := testenv.Name(t, "proj")
		compose := []string{"compose", "--project-name", project, "--file", file}
		t.Cleanup(func() {
			if out, err := e.TryDocker(append(compose, "down", "--volumes", "--timeout", "5")...); err != nil {
				t.Errorf("compose down: %v %s", err, out)
			}
		})
		e.Docker(t, append(compose, "up", "--detach")...)
		name := project + "-web-1"
		if got := e.Docker(t, "inspect", "--format", "{{.State.Status}} {{index .Config.Labels \"com.docker.compose.project\"}}", name); got != "running "+project {
			t.Errorf("container %s: got %q, want running in project %s", name, got, project)
		}
		testenv.WaitHTTP(t, "http://"+e.PublishedPort(t, name, "8000")+"/", "v1", 15*time.Second)
	})
}

// waitFor polls check until it says done, failing the test with what, and
// the last output, after 30 s.
func waitFor(t *testing.T, e *testenv.Engine, what string, check func() (string, bool)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, done := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s engine: %s: not after 30s (last output %q)", e.Name, what, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestIntegrationPrivateEngines starts two private engines at once, one of
// them reached over TCP with TLS, and checks that each keeps its containers
// in a containerd namespace of its own, never the shared engine's moby.
func TestIntegrationPrivateEngines(t *testing.T) {
	testenv.RequireRegistries(t)
	ref, _ := testenv.BuildAndPush(t, testenv.ImageSpec{
		Repo:    testenv.PlainRegistry + "/cutover-test/" + testenv.Name(t, "private"),
		Version: "v1",
	})
	plain := testenv.NewPrivateEngine(t)
	secure := testenv.NewPrivateEngine(t, testenv.WithTLS())
	if plain.Namespace() == secure.Namespace() || plain.Namespace() == "moby" || secure.Namespace() == "moby" {
		t.Fatalf("namespaces %q and %q: want two of their own, neither moby", plain.Namespace(), secure.Namespace())
	}
	for _, e := range []*testenv.PrivateEngine{plain, secure} {
		name := testenv.Name(t, "ns")
		id := e.RunContainer(t, name, ref)
		own, err := exec.Command("ctr", "--namespace", e.Namespace(), "containers", "list", "--quiet").Output()
		if err != nil {
			t.Fatalf("ctr containers list in %s: %v", e.Namespace(), err)
		}
		if !strings.Contains(string(own), id) {
			t.Errorf("containerd namespace %s lists %q, want container %s (%s)", e.Namespace(), own, name, id)
		}
		moby, _ := exec.Command("ctr", "--namespace", "moby", "containers", "list", "--quiet").Output()
		if strings.Contains(string(moby), id) {
			t.Errorf("the shared engine's namespace moby lists container %s of a private engine", name)
		}
	}
	// The TLS address answers with the client certificate only.
	with := exec.Command("docker", "--host", secure.TLSHost, "--tlsverify",
		"--tlscacert", filepath.Join(secure.CertDir, "ca.pem"), "--tlscert", filepath.Join(secure.CertDir, "cert.pem"),
		"--tlskey", filepath.Join(secure.CertDir, "key.pem"), "version", "--format", "{{.Server.APIVersion}}")
	if out, err := with.CombinedOutput(); err != nil {
		t.Errorf("docker over TLS at %s: %v %s", secure.TLSHost, err, out)
	}
	without := exec.Command("docker", "--host", secure.TLSHost, "version", "--format", "{{.Server.APIVersion}}")
	if out, err := without.CombinedOutput(); err == nil {
		t.Errorf("docker without TLS at %s answered %s, want a refusal", secure.TLSHost, out)
	}
}

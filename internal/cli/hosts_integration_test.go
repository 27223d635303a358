package cli_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// TestIntegrationManyEngines watches two private engines from one cutover:
// a, reached on its socket, and b, reached over TCP with TLS and the client
// certificates in b's directory under --cert-path. Both run a container of
// the same name. Each is listed under its engine, a deploy of the shared
// name must say which engine, /v1/update?host= limits a pass to one engine,
// and once b stops, a is still checked and updated while /health and the
// pass say b does not answer.
func TestIntegrationManyEngines(t *testing.T) {
	testenv.RequireRegistries(t)
	a := testenv.NewPrivateEngine(t)
	b := testenv.NewPrivateEngine(t, testenv.WithTLS())
	t.Parallel()

	ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	shared, onlyA, onlyB := testenv.Name(t, "web"), testenv.Name(t, "only-a"), testenv.Name(t, "only-b")
	v1 := map[*testenv.PrivateEngine]string{}
	for _, e := range []*testenv.PrivateEngine{a, b} {
		e.Docker(t, "pull", "-q", ref)
		v1[e] = e.Docker(t, "image", "inspect", "--format", "{{.Id}}", ref)
		e.Docker(t, "run", "-d", "--name", shared, ref)
	}
	a.Docker(t, "run", "-d", "--name", onlyA, ref)
	b.Docker(t, "run", "-d", "--name", onlyB, ref)
	pushV2(testenv.ImageSpec{})

	certs := t.TempDir()
	copyDir(t, b.CertDir, filepath.Join(certs, "b"))
	hosts := []string{"--host", "a=" + a.Host, "--host", "b=" + b.TLSHost, "--cert-path", certs}
	imageOf := func(e *testenv.PrivateEngine, name string) string {
		return e.Docker(t, "inspect", "--format", "{{.Image}}", name)
	}

	// check: every container under its engine's name, all outdated.
	r := cutover(t, append(hosts, "check", "--json")...)
	if r.code != 0 {
		t.Fatalf("cutover check over two engines: exit %d\n%s", r.code, r.stderr)
	}
	var gs []group
	if err := json.Unmarshal([]byte(r.stdout), &gs); err != nil {
		t.Fatalf("check --json: %v\n%s", err, r.stdout)
	}
	for _, n := range []string{"a/" + shared, "b/" + shared, "a/" + onlyA, "b/" + onlyB} {
		if _, c := findContainer(t, gs, n); c.Status != "outdated" {
			t.Errorf("check: %s is %q, want outdated", n, c.Status)
		}
	}

	data := t.TempDir()
	d := startServe(t, data, append(hosts, "--http-api-update", "--http-api-periodic-polls")...)
	base := "http://" + d.addr
	raw, err := os.ReadFile(filepath.Join(data, "api_key"))
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(raw))

	if code, body := call(t, "GET", base+"/health", "", "", ""); code != 200 || body != "a: ok\nb: ok\n" {
		t.Errorf("GET /health with both engines up: %d %q, want 200 \"a: ok\\nb: ok\\n\"", code, body)
	}
	waitFor(t, "/api/images listing both engines' containers", time.Minute, func() bool {
		_, body := call(t, "GET", base+"/api/images", "Bearer "+key, "", "")
		return strings.Count(body, `"container_name":"`+shared+`"`) == 2 && strings.Contains(body, `"host":"b"`)
	})

	// The shared name without an engine: refused, nothing changed.
	body := `{"container":"` + shared + `","image":"` + ref + `"}`
	code, answer := call(t, "POST", base+"/update", key, "application/json", body)
	if code != 400 || !strings.Contains(answer, "a/"+shared+" or b/"+shared) {
		t.Errorf("POST /update %s: %d %s, want 400 naming a/%s or b/%s", body, code, answer, shared, shared)
	}
	for _, e := range []*testenv.PrivateEngine{a, b} {
		if got := imageOf(e, shared); got != v1[e] {
			t.Errorf("after the refused deploy, %s on engine %s runs %s, want v1 %s", shared, e.Name, got, v1[e])
		}
	}
	// With "host": only that engine's container moves.
	body = `{"container":"` + shared + `","image":"` + ref + `","host":"b"}`
	if code, answer := call(t, "POST", base+"/update", key, "application/json", body); code != 200 {
		t.Fatalf("POST /update %s: %d %s, want 200", body, code, answer)
	}
	if imageOf(b, shared) == v1[b] || imageOf(a, shared) != v1[a] {
		t.Errorf("deploy to host b: b's %s on %s, a's on %s; want b's moved off v1 and a's on v1 %s", shared, imageOf(b, shared), imageOf(a, shared), v1[a])
	}

	// ?host= names an engine cutover watches, and limits the pass to it.
	if code, answer := call(t, "POST", base+"/v1/update?host=c", "Bearer "+key, "", ""); code != 400 || !strings.Contains(answer, "the engines are a, b") {
		t.Errorf("POST /v1/update?host=c: %d %s, want 400 naming the engines a, b", code, answer)
	}
	code, answer = call(t, "POST", base+"/v1/update?host=a", "Bearer "+key, "", "")
	if code != 200 {
		t.Fatalf("POST /v1/update?host=a: %d %s", code, answer)
	}
	if !strings.Contains(answer, `"name":"a/`+onlyA+`"`) || strings.Contains(answer, `"b/`) {
		t.Errorf("POST /v1/update?host=a: %s, want a's containers only", answer)
	}
	if imageOf(a, onlyA) == v1[a] || imageOf(b, onlyB) != v1[b] {
		t.Errorf("after ?host=a: a/%s on %s, b/%s on %s; want a's updated and b's left on v1", onlyA, imageOf(a, onlyA), onlyB, imageOf(b, onlyB))
	}

	// Engine b goes away: a is still served, and b's state is said.
	b.Stop(t)
	code, answer = call(t, "GET", base+"/health", "", "", "")
	if code != 200 || !strings.HasPrefix(answer, "a: ok\nb: unreachable: ") {
		t.Errorf("GET /health with b stopped: %d %q, want 200, a ok and b unreachable", code, answer)
	}
	code, answer = call(t, "POST", base+"/v1/update", "Bearer "+key, "", "")
	if code != 200 || !strings.Contains(answer, "engine b") {
		t.Errorf("POST /v1/update with b stopped: %d %s, want 200 with a failure naming engine b", code, answer)
	}
	r = cutover(t, append(hosts, "check")...)
	if r.code != 2 || !strings.Contains(r.stdout, "a/"+shared) || !strings.Contains(r.stderr, "engine b") {
		t.Errorf("cutover check with b stopped: exit %d, want 2 with a's containers listed and engine b named", r.code)
	}
	if got := a.Names(t, shared); !slices.Equal(got, []string{shared}) {
		t.Errorf("engine a: containers named like %s: %v, want exactly one", shared, got)
	}
}

// copyDir copies the files of dir into a new directory to.
func copyDir(t *testing.T, dir, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIntegrationEngineStopsMidPass stops one of two engines while an
// update over both has a swap in its health gate on each: the other
// engine's update finishes, the stopped one's is reported failed under its
// name, and once it is back, recovery puts its container back exactly once.
func TestIntegrationEngineStopsMidPass(t *testing.T) {
	testenv.RequireRegistries(t)
	a := testenv.NewPrivateEngine(t)
	b := testenv.NewPrivateEngine(t)
	t.Parallel()

	ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	name := testenv.Name(t, "midpass")
	v1 := map[*testenv.PrivateEngine]string{}
	// v2 has no healthcheck: each gate is the grace period. b's container
	// asks for a long one, to be stopped while its swap waits in it
	// whatever the load; a's passes after the global second.
	grace := map[*testenv.PrivateEngine][]string{b: {"--label", "cutover.health-grace=5m"}}
	for _, e := range []*testenv.PrivateEngine{a, b} {
		e.Docker(t, "pull", "-q", ref)
		v1[e] = e.Docker(t, "image", "inspect", "--format", "{{.Id}}", ref)
		e.Docker(t, append(append([]string{"run", "-d", "--name", name, "--restart", "unless-stopped"}, grace[e]...), ref)...)
	}
	pushV2(testenv.ImageSpec{})

	data := t.TempDir()
	hosts := []string{"--data-dir", data, "--host", "a=" + a.Host, "--host", "b=" + b.Host}
	cmd := exec.Command(binary(t), append(hosts, "--health-grace", "1s", "update")...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for !slices.Contains(b.Names(t, name), name+"-cutover-old") {
		select {
		case err := <-exited:
			t.Fatalf("cutover update ended (%v) before b's swap reached its health gate:\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	b.Stop(t)
	var err error
	select {
	case err = <-exited:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("cutover update still running 3 minutes after engine b stopped:\n%s", out.String())
	}
	t.Logf("cutover update while engine b went away (%v):\n%s", err, out.String())
	if !strings.Contains(out.String(), "updated a/"+name) {
		t.Errorf("the update over a and b: a/%s not updated while b stopped", name)
	}
	if !strings.Contains(out.String(), "b/"+name+": failed") && !strings.Contains(out.String(), "b/"+name+": rolled back") {
		t.Errorf("the update over a and b: b/%s not reported failed under its engine's name", name)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("cutover update: %v, want exit code 1 for b's failed update", err)
	}
	if got := a.Names(t, name); !slices.Equal(got, []string{name}) || a.Docker(t, "inspect", "--format", "{{.Image}}", name) == v1[a] {
		t.Errorf("engine a: containers named like %s: %v, want exactly one, off v1", name, got)
	}

	b.Start(t)
	code, rec := runBinary(t, nil, append(hosts, "recover")...)
	if code != 0 {
		t.Fatalf("recover after engine b is back: exit %d\n%s", code, rec)
	}
	requireOnceOn(t, b, name, v1[b])
}

// TestIntegrationEngineOverSSH reaches an engine as ssh://user@host/socket,
// as the Docker CLI does: through the ssh program, which runs docker
// system dial-stdio on the other side (here a test server that joins the
// session to a private engine's socket). cutover checks and updates its
// container through it.
func TestIntegrationEngineOverSSH(t *testing.T) {
	testenv.RequireRegistries(t)
	e := testenv.NewPrivateEngine(t)
	t.Parallel()
	server := testenv.StartSSHEngines(t)

	ref, _, pushV2 := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	name := testenv.Name(t, "ssh")
	e.Docker(t, "pull", "-q", ref)
	v1 := e.Docker(t, "image", "inspect", "--format", "{{.Id}}", ref)
	e.Docker(t, "run", "-d", "--name", name, ref)
	pushV2(testenv.ImageSpec{})

	env := server.Env
	host := "ssh://root@" + server.Addr + strings.TrimPrefix(e.Host, "unix://")
	args := []string{"--data-dir", t.TempDir(), "--host", "far=" + host, "--health-grace", "1s"}
	code, out := runBinary(t, env, append(args, "check", name)...)
	if code != 0 || !strings.Contains(out, name) || !strings.Contains(out, "outdated") {
		t.Fatalf("cutover check over %s: exit %d, want %s listed outdated:\n%s", host, code, name, out)
	}
	code, out = runBinary(t, env, append(args, "update", name)...)
	if code != 0 || !strings.Contains(out, "1 updated") {
		t.Fatalf("cutover update over %s: exit %d, want 1 updated:\n%s", host, code, out)
	}
	requireOnceOn(t, e, name, e.Docker(t, "image", "inspect", "--format", "{{.Id}}", ref))
	if got := e.Docker(t, "inspect", "--format", "{{.Image}}", name); got == v1 {
		t.Errorf("%s still runs v1 after the update over ssh", name)
	}

	code, out = runBinary(t, append(env, "PATH=/nonexistent"), append(args, "check", name)...)
	if code != 2 || !strings.Contains(out, "no ssh program") {
		t.Errorf("cutover check over ssh without an ssh program: exit %d, want 2 saying there is no ssh program:\n%s", code, out)
	}
}

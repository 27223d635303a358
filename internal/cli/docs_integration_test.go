package cli_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testenv"
)

// The containers and images the documentation's examples name. The names are
// the documentation's, so they are not unique to the test run: a lock keeps
// two runs on one machine from sharing them.
const (
	docsWeb          = "web"
	docsWorker       = "worker"
	docsDB           = "db"
	docsWebRepo      = "localhost:5000/example/web"
	docsWorkerRepo   = "localhost:5000/example/worker"
	docsDBRepo       = "localhost:5000/example/db"
	docsDeployImage  = docsWebRepo + ":1.4.2"
	docsPassword     = "a long passphrase"
	docsOwnerLabel   = "cutover.test.docs"
	docsCurlStatus   = "cutover-docs-status "
	docsStreamCutOff = "2"
)

// docsFiles are the pages whose curl examples are run, in the order a reader
// meets them: the README, then docs/ alphabetically.
func docsFiles(t *testing.T, root string) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(pages)
	return append([]string{filepath.Join(root, "README.md")}, pages...)
}

// TestIntegrationDocsCurlExamples runs every curl example of README.md and
// docs/*.md, in the order of the pages, against a real cutover serve (the
// built binary) on the real engine, with the containers and images the
// examples name. Each example block runs in bash with the variables the
// documentation defines (CUTOVER_URL, CUTOVER_API_KEY, CUTOVER_PASSWORD) and
// must exit 0, with every curl in it answered 2xx. A page that shows curl in
// a block the test cannot run fails the test: such an example must be
// rewritten, not left unchecked.
//
// cutover reaches the engine the way examples/socket-proxy-compose.yml has
// it do: through a proxy that passes on only the API sections that file
// switches on, with tecnativa/docker-socket-proxy's rules. A request the
// proxy refuses fails the test, so the list of endpoints the documentation
// gives is the list cutover needs. Behind the proxy, a view of the engine
// shows only the test's containers, so the examples that update "every
// container" touch nothing else on the engine.
func TestIntegrationDocsCurlExamples(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	for _, tool := range []string{"bash", "curl", "jq"} {
		testenv.RequireTool(t, tool)
	}
	root := testenv.RepoRoot(t)
	var blocks []docBlock
	for _, page := range docsFiles(t, root) {
		blocks = append(blocks, curlBlocks(t, page)...)
	}
	curls := 0
	for _, b := range blocks {
		curls += b.curls
	}
	if curls == 0 {
		t.Fatalf("found no curl example in README.md and docs/*.md, want some")
	}
	lockDocsNames(t)

	// The fixture: web (with a healthcheck, so updates probe it through
	// exec) and worker (on two networks, so its recreation connects one),
	// both outdated, the tag the deploy examples ask for, and db.
	// web and worker are services of the Compose project "example" the
	// project examples name; db is no Compose container.
	owner := []string{"--label", docsOwnerLabel + "=1"}
	owned := append(slices.Clone(owner), "--label", "com.docker.compose.project=example")
	web, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: docsWebRepo, Version: "web-1.4.1", HealthInterval: "1s"})
	testenv.RunContainer(t, docsWeb, append(owned, "--label", "com.docker.compose.service=web", "--restart", "unless-stopped", web)...)
	worker, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: docsWorkerRepo, Version: "worker-1"})
	front, back := testenv.Name(t, "front"), testenv.Name(t, "back")
	testenv.CreateNetwork(t, front)
	testenv.CreateNetwork(t, back)
	testenv.RunContainer(t, docsWorker, append(owned, "--label", "com.docker.compose.service=worker", "--network", front, worker)...)
	testenv.Docker(t, "network", "connect", back, docsWorker)
	testenv.BuildAndPush(t, testenv.ImageSpec{Repo: docsWebRepo, Version: "web-1.4.2", HealthInterval: "1s"})
	testenv.BuildAndPush(t, testenv.ImageSpec{Repo: docsWebRepo, Tag: "1.4.2", Version: "web-1.4.2", HealthInterval: "1s"})
	testenv.BuildAndPush(t, testenv.ImageSpec{Repo: docsWorkerRepo, Version: "worker-2"})
	// db follows its minor versions with a cooldown of three days, as
	// configuration.md's example has it: 16.5, built just now, stays
	// offered (cooling down) through every pass, for the skip examples.
	source := map[string]string{"org.opencontainers.image.source": "https://github.com/example/db"}
	db, _ := testenv.BuildAndPush(t, testenv.ImageSpec{Repo: docsDBRepo, Tag: "16.4", Labels: source})
	testenv.RunContainer(t, docsDB, append(owner, "--label", "cutover.policy=minor", "--label", "cutover.cooldown=3d", db)...)
	testenv.BuildAndPush(t, testenv.ImageSpec{Repo: docsDBRepo, Tag: "16.5", Labels: source})

	view := engineView(t, func(l map[string]string) bool { return l[docsOwnerLabel] == "1" })
	switches := socketProxySwitches(t, filepath.Join(root, "examples", "socket-proxy-compose.yml"))
	proxy := startSocketProxy(t, view, switches)

	// The key as a reader gets it, from the environment serve runs in.
	data := t.TempDir()
	apiKey := exec.Command(binary(t), "--data-dir", data, "api-key")
	apiKey.Env = withoutEnv(os.Environ(), "DOCKER_HOST", "CUTOVER_", "WATCHTOWER_")
	out, err := apiKey.Output()
	key := strings.TrimSpace(string(out))
	if err != nil || len(key) != 43 {
		t.Fatalf("cutover api-key: %v, printed %q; want exit 0 and a 43-character key", err, key)
	}
	url := startServeBinary(t, "--host", proxy.host, "--data-dir", data,
		"--http-api-update", "--http-api-metrics", "--ui-password", docsPassword,
		"--health-grace", "1s", "--health-timeout", "30s")

	wrapper := curlWrapper(t)
	work := t.TempDir()
	env := append(withoutEnv(os.Environ(), "DOCKER_HOST", "CUTOVER_", "WATCHTOWER_"),
		"PATH="+filepath.Dir(wrapper)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"CUTOVER_URL="+url,
		"CUTOVER_API_KEY="+key,
		"CUTOVER_PASSWORD="+docsPassword,
		"IMAGE="+docsDeployImage,
	)
	ran := 0
	for _, b := range blocks {
		ran += runDocBlock(t, b, work, env)
	}
	if ran != curls {
		t.Errorf("curl calls answered: %d, want %d (one per curl in the examples)", ran, curls)
	}
	if denied := proxy.refused(); len(denied) > 0 {
		t.Errorf("the socket proxy, with the switches of examples/socket-proxy-compose.yml, refused %d engine requests cutover made, want none:\n%s",
			len(denied), strings.Join(denied, "\n"))
	}
	// And the least: every section switched on was needed by some example.
	used := proxy.sectionsUsed()
	for section, enabled := range switches {
		if enabled && section != "POST" && !slices.Contains(used, section) {
			t.Errorf("examples/socket-proxy-compose.yml switches %s on, but no example needed it (used: %v)", section, used)
		}
	}
	t.Logf("%d curl calls in %d examples answered 2xx; engine sections used: %v", ran, len(blocks), used)
}

// docBlock is one example of a page that runs curl.
type docBlock struct {
	page   string
	line   int
	script string
	curls  int
}

func (b docBlock) String() string { return fmt.Sprintf("%s:%d", filepath.Base(b.page), b.line) }

var (
	fence = regexp.MustCompile("^\\s*```\\s*([A-Za-z]*)")
	// curlCall matches curl in command position: at the start of a line, or
	// after a pipe, a command separator or the opening of $( ... ).
	curlCall = regexp.MustCompile(`(?m)(^|[;&|(]|\$\()\s*curl\s`)
	// runKey is a GitHub Actions step's shell script.
	runKey = regexp.MustCompile(`^(\s*)run:\s*\|\s*$`)
	envKey = regexp.MustCompile(`^\s+([A-Z_][A-Z0-9_]*):`)
)

// docsVariables are the variables an example may use: those the
// documentation defines, and IMAGE, the image a CI step deploys.
var docsVariables = []string{"CUTOVER_URL", "CUTOVER_API_KEY", "CUTOVER_PASSWORD", "IMAGE"}

// curlBlocks returns the fenced blocks of a page that run curl. Shell blocks
// run as they are; of a YAML block (a CI step) the run script runs, with the
// test's values for the step's env. curl in any other block fails the test.
func curlBlocks(t *testing.T, page string) []docBlock {
	t.Helper()
	f, err := os.Open(page)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out   []docBlock
		in    bool
		lang  string
		start int
		body  []string
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		m := fence.FindStringSubmatch(line)
		switch {
		case m != nil && !in:
			in, lang, start, body = true, strings.ToLower(m[1]), n, nil
		case m != nil && in:
			in = false
			text := strings.Join(body, "\n")
			if len(curlCall.FindAllString(text, -1)) == 0 {
				continue
			}
			b := docBlock{page: page, line: start}
			switch lang {
			case "sh", "bash", "shell":
				b.script = text
			case "yaml", "yml":
				b.script = ciStepScript(t, b, body)
			default:
				t.Errorf("%s: a ```%s block runs curl; write it as a ```sh example with the documented variables so that it is run", b, lang)
				continue
			}
			b.curls = len(curlCall.FindAllString(b.script, -1))
			out = append(out, b)
		case in:
			body = append(body, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if in {
		t.Errorf("%s: a fenced block opened at line %d is never closed", filepath.Base(page), start)
	}
	return out
}

// ciStepScript returns the run script of a CI step, after checking that the
// variables of its env are ones the test provides.
func ciStepScript(t *testing.T, b docBlock, lines []string) string {
	t.Helper()
	for i, line := range lines {
		if m := envKey.FindStringSubmatch(line); m != nil && isEnvEntry(lines, i) && !slices.Contains(docsVariables, m[1]) {
			t.Errorf("%s: the step's env sets %s; examples may only use %v", b, m[1], docsVariables)
		}
		m := runKey.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var script []string
		indent := len(m[1])
		for _, l := range lines[i+1:] {
			if strings.TrimSpace(l) != "" && len(l)-len(strings.TrimLeft(l, " ")) <= indent {
				break
			}
			script = append(script, strings.TrimPrefix(l, strings.Repeat(" ", indent+2)))
		}
		return strings.Join(script, "\n")
	}
	t.Errorf("%s: a YAML example runs curl outside a `run: |` script", b)
	return ""
}

// isEnvEntry tells whether line i is inside an env: mapping.
func isEnvEntry(lines []string, i int) bool {
	indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
	for j := i - 1; j >= 0; j-- {
		l := lines[j]
		if strings.TrimSpace(l) == "" {
			continue
		}
		if d := len(l) - len(strings.TrimLeft(l, " ")); d < indent {
			return strings.TrimSpace(l) == "env:"
		}
	}
	return false
}

// runDocBlock runs one example and returns how many curl calls it made. The
// example fails the test when it exits non-zero, when a call is answered
// other than 2xx, or when fewer calls than it has curl commands answered.
func runDocBlock(t *testing.T, b docBlock, dir string, env []string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -euo pipefail\n"+b.script)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var codes []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if c, ok := strings.CutPrefix(line, docsCurlStatus); ok {
			codes = append(codes, c)
		}
	}
	report := fmt.Sprintf("%s\n%s\nstdout:\n%s\nstderr:\n%s", b, b.script, stdout.String(), stderr.String())
	switch {
	case err != nil:
		t.Errorf("example %s: %v, want exit 0; HTTP statuses %v", report, err, codes)
	case len(codes) != b.curls:
		t.Errorf("example %s: %d curl calls answered, want %d", report, len(codes), b.curls)
	default:
		for _, c := range codes {
			if !strings.HasPrefix(c, "2") {
				t.Errorf("example %s: HTTP statuses %v, want all 2xx", report, codes)
				break
			}
		}
	}
	t.Logf("example %s: HTTP %v\n%s", b, codes, stdout.String())
	return len(codes)
}

// curlWrapper writes a curl that runs the real one and adds a line with the
// HTTP status to stderr. An event stream never ends by itself: a call to
// /api/events is cut after a few seconds, which counts as success when it
// was answered 2xx.
func curlWrapper(t *testing.T) string {
	t.Helper()
	real, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "curl")
	script := `#!/bin/bash
args=("$@")
stream=0
for a in "$@"; do case "$a" in */api/events) stream=1 ;; esac; done
if ((stream)); then args+=(--max-time ` + docsStreamCutOff + `); fi
err=$(mktemp)
'` + real + `' "${args[@]}" --write-out '%{stderr}\n` + docsCurlStatus + `%{http_code}\n' 2>"$err"
rc=$?
cat "$err" >&2
code=$(sed -n 's/^` + docsCurlStatus + `//p' "$err" | tail -n 1)
rm -f "$err"
if ((stream)) && [[ $rc == 28 && $code == 2* ]]; then rc=0; fi
exit $rc
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// startServeBinary runs the built cutover serve on a free loopback port and
// returns its base URL; SIGTERM stops it when the test ends.
func startServeBinary(t *testing.T, args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary(t), append([]string{"serve", "--listen", addr}, args...)...)
	cmd.Env = withoutEnv(os.Environ(), "DOCKER_HOST", "CUTOVER_", "WATCHTOWER_")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("cutover serve did not stop within 60s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("cutover serve logs:\n%s", logs.String())
		}
	})
	url := "http://" + addr
	waitFor(t, "cutover serve to answer /health", 30*time.Second, func() bool {
		select {
		case <-done:
			t.Fatalf("cutover serve exited before answering:\n%s", logs.String())
		default:
		}
		code, _, err := tryCall(url + "/health")
		return err == nil && code == http.StatusOK
	})
	return url
}

// withoutEnv drops the variables whose names start with one of prefixes, so
// that the developer's settings do not change what the test runs.
func withoutEnv(env []string, prefixes ...string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(kv, p) })
	})
}

// lockDocsNames holds a lock on the documentation's container names until
// the test ends, so two runs on one machine take turns.
func lockDocsNames(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "cutover-docs-examples.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

var proxySwitch = regexp.MustCompile(`^\s+([A-Z_]+):\s*([01])\s*$`)

// socketProxySwitches reads the socket proxy's switches from the compose
// file: the NAME: 0|1 lines of its environment.
func socketProxySwitches(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	on := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := proxySwitch.FindStringSubmatch(line); m != nil {
			on[m[1]] = m[2] == "1"
		}
	}
	if len(on) == 0 {
		t.Fatalf("%s: no socket proxy switches (NAME: 0 or 1) found", file)
	}
	return on
}

// socketProxy passes engine requests on the way tecnativa/docker-socket-proxy
// does: a method other than GET and HEAD needs POST, and the path's first
// section (after an optional /vX.Y) must be switched on.
type socketProxy struct {
	host string

	mu     sync.Mutex
	denied []string
	used   map[string]bool
}

var apiSection = regexp.MustCompile(`^(/v[\d.]+)?/(\w+)`)

// startSocketProxy serves the rules on a loopback TCP port in front of the
// unix socket upstream.
func startSocketProxy(t *testing.T, upstream string, on map[string]bool) *socketProxy {
	t.Helper()
	p := &socketProxy{used: map[string]bool{}}
	rp := engineProxy(upstream)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		section := ""
		if m := apiSection.FindStringSubmatch(r.URL.Path); m != nil {
			section = strings.ToUpper(strings.TrimPrefix(m[2], "_"))
		}
		write := r.Method != http.MethodGet && r.Method != http.MethodHead
		p.mu.Lock()
		allowed := (!write || on["POST"]) && on[section]
		if allowed {
			p.used[section] = true
		} else {
			p.denied = append(p.denied, r.Method+" "+r.URL.Path)
		}
		p.mu.Unlock()
		if !allowed {
			http.Error(w, "Request forbidden by administrative rules.", http.StatusForbidden)
			return
		}
		// Pruning would remove dangling images other tests on this engine
		// may still inspect: the call is allowed but answered here.
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/images/prune") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ImagesDeleted":null,"SpaceReclaimed":0}`)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	p.host = "tcp://" + l.Addr().String()
	return p
}

func (p *socketProxy) refused() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.denied)
}

func (p *socketProxy) sectionsUsed() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.used))
	for s := range p.used {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PrivateEngine is a Docker engine of a test's own: a second dockerd with its
// own socket, data, state, containerd namespaces and bridge, so a test can
// stop and start it without disturbing the shared engine every other test
// uses. It pulls from the registries on the host's loopback like the shared
// one.
//
// Its Host is unix:///run/cutover-engine-.../docker.sock, and the Engine
// helpers (Docker, RunContainer, Names, ...) reach it.
type PrivateEngine struct {
	Engine
	// TLSHost and CertDir are set for an engine started WithTLS: its TCP
	// address, and the directory of the client's certificates.
	TLSHost string
	CertDir string

	args    []string
	dataDir string
	runDir  string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	// id names what the engine creates on the host; net is the third
	// octet of its subnets.
	id  string
	net uint64
	// links are host interfaces the engine made beyond its bridge (a
	// Swarm's gateway bridge), deleted with it.
	links []string
}

// engineStartTimeout bounds how long a private engine may take to answer.
const engineStartTimeout = 2 * time.Minute

// NewPrivateEngine starts a private engine and stops and deletes it when the
// test ends. It needs root, as dockerd does.
func NewPrivateEngine(t testing.TB, opts ...PrivateOption) *PrivateEngine {
	t.Helper()
	RequireEngine(t)
	if os.Geteuid() != 0 {
		unavailable(t, "a private Docker engine needs root")
	}
	if _, err := exec.LookPath("dockerd"); err != nil {
		unavailable(t, "no dockerd to start a private engine: run scripts/setup-env.sh")
	}
	id := randomHex(t, 4)
	// The run directory holds sockets, whose paths must stay short.
	e := &PrivateEngine{
		dataDir: filepath.Join("/var/lib/cutover-test-engines", id),
		runDir:  "/run/cutover-engine-" + id,
		id:      id,
	}
	e.logPath = filepath.Join(e.runDir, "dockerd.log")
	e.Engine = *engineAt("private", "unix://"+filepath.Join(e.runDir, "docker.sock"))
	// The engine gets a bridge of its own: without one (--bridge none) a
	// dockerd deletes docker0 at start, the shared engine's bridge.
	bridge := "cutbr" + id
	e.args = []string{
		"--host", e.Host,
		"--data-root", e.dataDir,
		"--exec-root", filepath.Join(e.runDir, "exec"),
		"--pidfile", filepath.Join(e.runDir, "docker.pid"),
		"--bridge", bridge, "--iptables=false", "--ip-masq=false",
		// The host's containerd serves every engine: containers of the
		// same name in the shared engine's namespace (moby) would be
		// mistaken for this engine's, and this engine's cleanup at start
		// would take the shared engine's for its own leftovers.
		"--containerd-namespace", e.namespace(),
		"--containerd-plugins-namespace", e.namespace() + "-plugins",
	}
	for _, dir := range []string{e.dataDir, e.runDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		e.stop(t)
		if out, err := exec.Command("ip", "link", "delete", bridge).CombinedOutput(); err != nil {
			t.Errorf("removing the private engine's bridge %s: %v %s", bridge, err, out)
		}
		for _, l := range e.links {
			// The engine deletes it as it leaves its Swarm, or not.
			exec.Command("ip", "link", "delete", l).Run()
		}
		if t.Failed() {
			if b, err := os.ReadFile(e.logPath); err == nil {
				t.Logf("private engine log, last lines:\n%s", lastLines(string(b), 30))
			}
		}
		for _, dir := range []string{e.dataDir, e.runDir} {
			if err := removeEngineDir(dir); err != nil {
				t.Errorf("removing the private engine's %s: %v", dir, err)
			}
		}
		e.removeNamespaces(t)
	})
	// A /24 in 10.215.0.0/16, away from the ranges the shared engine hands
	// out to its networks and from other tests' fixed subnets; the third
	// octet comes from the random id.
	n, _ := strconv.ParseUint(id, 16, 32)
	e.net = freeOctet(n%250 + 1)
	subnet := fmt.Sprintf("10.215.%d.1/24", e.net)
	for _, args := range [][]string{
		{"link", "add", bridge, "type", "bridge"},
		{"addr", "add", subnet, "dev", bridge},
		{"link", "set", bridge, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v %s", strings.Join(args, " "), err, out)
		}
	}
	for _, o := range opts {
		o(t, e)
	}
	e.Start(t)
	return e
}

// namespace is the engine's containerd namespace, never the shared
// engine's moby.
func (e *PrivateEngine) namespace() string { return "cutover-test-" + e.id }

// Namespace is the containerd namespace the engine keeps its containers in.
func (e *PrivateEngine) Namespace() string { return e.namespace() }

// removeNamespaces deletes the engine's containerd namespaces once it has
// stopped, when containerd's ctr is there: first what the engine left in
// them (the leases and blobs of its pulls), which containerd will not
// delete with a namespace.
func (e *PrivateEngine) removeNamespaces(t testing.TB) {
	if _, err := exec.LookPath("ctr"); err != nil {
		return
	}
	for _, ns := range []string{e.namespace(), e.namespace() + "-plugins"} {
		out, err := exec.Command("ctr", "namespaces", "list", "--quiet").Output()
		if err != nil || !slices.Contains(strings.Fields(string(out)), ns) {
			continue
		}
		for _, kind := range []string{"leases", "content"} {
			out, err := exec.Command("ctr", "--namespace", ns, kind, "list", "--quiet").Output()
			if err != nil {
				continue
			}
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				exec.Command("ctr", append([]string{"--namespace", ns, kind, "remove"}, ids...)...).Run()
			}
		}
		if out, err := exec.Command("ctr", "namespaces", "remove", ns).CombinedOutput(); err != nil {
			t.Errorf("removing the private engine's containerd namespace %s: %v %s", ns, err, out)
		}
	}
}

// Start starts the engine and waits until it answers.
func (e *PrivateEngine) Start(t testing.TB) {
	t.Helper()
	logFile, err := os.OpenFile(e.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command("dockerd", e.args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting a private dockerd: %v", err)
	}
	e.cmd, e.exited = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(e.exited)

	deadline := time.Now().Add(engineStartTimeout)
	for {
		if _, err := e.probe(); err == nil {
			return
		}
		select {
		case <-e.exited:
			t.Fatalf("the private dockerd exited at start; see %s", e.logPath)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the private dockerd did not answer within %s; see %s", engineStartTimeout, e.logPath)
		}
	}
}

// Stop stops the engine the way a service manager does (SIGTERM): the engine
// stops its containers, then itself.
func (e *PrivateEngine) Stop(t testing.TB) {
	t.Helper()
	if err := e.stop(t); err != nil {
		t.Fatal(err)
	}
}

func (e *PrivateEngine) stop(t testing.TB) error {
	if e.cmd == nil {
		return nil
	}
	select {
	case <-e.exited:
		e.cmd = nil
		return nil
	default:
	}
	e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(engineStartTimeout):
		e.cmd.Process.Kill()
		<-e.exited
		return fmt.Errorf("the private dockerd did not stop within %s on SIGTERM; killed it", engineStartTimeout)
	}
	e.cmd = nil
	return nil
}

// freeOctet returns the first third octet from n on whose 10.215.x.0/24 no
// interface of the host has: the engines a test starts together get
// different bridges.
func freeOctet(n uint64) uint64 {
	out, err := exec.Command("ip", "-4", "-o", "addr", "show").Output()
	if err != nil {
		return n
	}
	for range 250 {
		if !strings.Contains(string(out), fmt.Sprintf(" 10.215.%d.", n)) {
			return n
		}
		n = n%250 + 1
	}
	return n
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// removeEngineDir removes a stopped engine's directory. An engine stopped
// while it had containers (as a test stops one mid-swap) can leave their
// overlay mounts behind for a moment: they are detached, and the removal
// tried again.
func removeEngineDir(dir string) error {
	var err error
	for try := range 5 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		for _, m := range mountsUnder(dir) {
			_ = syscall.Unmount(m, syscall.MNT_DETACH)
		}
		time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
	}
	return err
}

// mountsUnder lists the mount points below dir, deepest first.
func mountsUnder(dir string) []string {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			out = append(out, f[1])
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// dockerTimeout bounds one docker CLI call. Pushes of images with extra layers
// are the slowest calls; a hung engine must not eat the whole test timeout.
const dockerTimeout = 5 * time.Minute

// dockerOpts are the rarely needed extras of one docker CLI call.
type dockerOpts struct {
	config string    // --config directory holding registry credentials
	stdin  io.Reader // e.g. a password for login --password-stdin
	env    []string  // added to the inherited environment
}

// runDocker runs the docker CLI and returns its trimmed stdout. The error
// carries the command line and stderr, which is what a reader of a failed test
// needs.
func runDocker(ctx context.Context, o dockerOpts, args ...string) (string, error) {
	if o.config != "" {
		args = append([]string{"--config", o.config}, args...)
	}
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdin = o.stdin
	if len(o.env) > 0 {
		cmd.Env = append(os.Environ(), o.env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	out := strings.TrimSpace(stdout.String())
	if err != nil {
		msg := fmt.Sprintf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		if out != "" {
			msg += "\nstdout: " + out
		}
		return out, errors.New(msg)
	}
	return out, nil
}

// dockerCtx is the context for one CLI call. It does not derive from
// t.Context(), which is already cancelled when cleanups run.
func dockerCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), dockerTimeout)
}

// Docker runs the docker CLI with args against the shared engine and
// returns its trimmed stdout. It fails the test, showing stdout and stderr,
// when the command fails.
func Docker(t testing.TB, args ...string) string {
	t.Helper()
	return shared().Docker(t, args...)
}

// unsafeName matches what may not appear in a container name or in a
// repository path component.
var unsafeName = regexp.MustCompile(`[^a-z0-9_.-]+`)

// Name returns prefix-<8 random hex digits>, usable as a container, network or
// volume name and as a repository path component. The prefix is lower-cased
// and stripped of other characters, so t.Name() may be passed.
func Name(t testing.TB, prefix string) string {
	t.Helper()
	p := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(prefix), "-"), "-_.")
	if len(p) > 40 {
		p = strings.TrimRight(p[:40], "-_.")
	}
	if p == "" {
		p = "test"
	}
	return p + "-" + randomHex(t, 8)
}

// Inspect returns the first element of docker inspect NAME on the shared
// engine: a container, image, network or volume, whichever it finds.
func Inspect(t testing.TB, name string) map[string]any {
	t.Helper()
	return shared().Inspect(t, name)
}

// Inspect returns the first element of docker inspect NAME: a container,
// image, network or volume, whichever the engine finds.
func (e *Engine) Inspect(t testing.TB, name string) map[string]any {
	t.Helper()
	out := e.Docker(t, "inspect", name)
	var all []map[string]any
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatalf("docker inspect %s: decoding: %v", name, err)
	}
	if len(all) == 0 {
		t.Fatalf("docker inspect %s: got no object, want one", name)
	}
	return all[0]
}

// RemoveImageLocal removes ref from the shared engine; see
// Engine.RemoveImageLocal.
func RemoveImageLocal(t testing.TB, ref string) {
	t.Helper()
	shared().RemoveImageLocal(t, ref)
}

// RemoveImageLocal removes ref from the engine's image store but not from its
// registry, so the registry holds an image the engine has not pulled. Only the
// reference goes when other tags still point at the image; an image that a
// running container uses stays, untagged.
func (e *Engine) RemoveImageLocal(t testing.TB, ref string) {
	t.Helper()
	e.Docker(t, "image", "rm", "--force", ref)
	ctx, cancel := dockerCtx()
	defer cancel()
	if _, err := e.run(ctx, dockerOpts{}, "image", "inspect", ref); err == nil {
		t.Fatalf("%s engine: image %s: still known after removal", e.Name, ref)
	}
}

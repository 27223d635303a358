package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// cliTimeout bounds one docker CLI call, so a hung engine ends the run
// instead of stalling it.
const cliTimeout = 2 * time.Minute

// docker runs the docker CLI and returns its trimmed stdout; an error carries
// the command line and stderr.
func docker(ctx context.Context, args ...string) (string, error) {
	return dockerAt(ctx, "", args...)
}

// dockerAt is docker talking to the engine at host (a DOCKER_HOST value),
// or the default one when host is empty.
func dockerAt(ctx context.Context, host string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	if host != "" {
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := strings.TrimSpace(stdout.String())
	if err != nil {
		return out, fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// dockerLines is docker for commands that print one item per line.
func dockerLines(ctx context.Context, args ...string) ([]string, error) {
	out, err := docker(ctx, args...)
	return strings.Fields(out), err
}

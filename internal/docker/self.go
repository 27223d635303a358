package docker

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/cutover/cutover/internal/engine"
)

// containerIDInMount finds the engine's per-container directory, which the
// engine bind-mounts /etc/hostname and friends from.
var containerIDInMount = regexp.MustCompile(`/containers/([0-9a-f]{64})/`)

// SelfID returns the id of the container this process runs in, or "" when it
// runs on a host. It reads the mounts the engine gives every container, and
// checks the id with the engine.
func (r *Runtime) SelfID(ctx context.Context) string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if !strings.Contains(s.Text(), "/etc/hostname") {
			continue
		}
		if m := containerIDInMount.FindStringSubmatch(s.Text()); m != nil {
			if _, err := r.inspect(ctx, m[1]); err == nil {
				return m[1]
			}
		}
	}
	return ""
}

// RunOneShot starts a short-lived container from image that runs args with
// the same engine access as the container like (its binds, mounts and
// environment), removes itself when done, and is never watched for updates.
// The self-update hands the swap of the running instance to such a
// container, since a process cannot stop itself and carry on.
func (r *Runtime) RunOneShot(ctx context.Context, like engine.Container, image string, args []string) (string, error) {
	in, err := r.inspect(ctx, like.ID)
	if err != nil {
		return "", err
	}
	cfg := &container.Config{
		Image:  image,
		Cmd:    args,
		Env:    in.Config.Env,
		Labels: map[string]string{"cutover.enable": "false", engine.WatchtowerLabelPrefix + "enable": "false", "cutover.self-update-of": like.Name},
	}
	hc := &container.HostConfig{
		Binds:       in.HostConfig.Binds,
		Mounts:      in.HostConfig.Mounts,
		NetworkMode: in.HostConfig.NetworkMode,
		AutoRemove:  true,
	}
	res, err := r.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc, Name: like.Name + "-cutover-handover"})
	if err != nil {
		return "", fmt.Errorf("create the hand-over container: %w", err)
	}
	if _, err := r.cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		_, _ = r.cli.ContainerRemove(ctx, res.ID, client.ContainerRemoveOptions{Force: true})
		return "", fmt.Errorf("start the hand-over container: %w", err)
	}
	return res.ID, nil
}

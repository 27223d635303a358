package docker

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/cutover/cutover/internal/engine"
)

// containerIDInMount finds the engine's per-container directory, which the
// engine bind-mounts /etc/hostname and friends from.
var containerIDInMount = regexp.MustCompile(`/containers/([0-9a-f]{64})/`)

// HandOverSuffix names the one-shot container a self-update starts.
const HandOverSuffix = "-cutover-handover"

// SelfID returns the id of the container this process runs in: "" when it
// runs on a host, or in a container this engine does not know (cutover in
// one engine's container, managing another engine). It reads the mounts the
// engine gives every container and checks the id with the engine; an error
// means the engine could not say, and the answer is unknown.
func (r *Runtime) SelfID(ctx context.Context) (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", nil
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if !strings.Contains(s.Text(), "/etc/hostname") {
			continue
		}
		m := containerIDInMount.FindStringSubmatch(s.Text())
		if m == nil {
			continue
		}
		_, err := r.inspect(ctx, m[1])
		switch {
		case err == nil:
			return m[1], nil
		case !isNotFound(err):
			return "", err
		}
	}
	return "", nil
}

// RunOneShot starts a container from image that runs args with the same
// access to the engine and the same networks as the container like (its
// binds, mounts, environment, user, groups, security options, host names
// and DNS), and is never watched for updates. The self-update hands the
// swap of the running instance to such a container, since a process cannot
// stop itself and carry on. The container is not removed when it ends, so
// that ReapOneShot can tell how it went.
func (r *Runtime) RunOneShot(ctx context.Context, like engine.Container, image string, args []string) (string, error) {
	in, err := r.inspect(ctx, like.ID)
	if err != nil {
		return "", err
	}
	name := like.Name + HandOverSuffix
	if err := r.Remove(ctx, name, false); err != nil && !isNotFound(err) {
		return "", fmt.Errorf("remove an earlier hand-over container: %w", err)
	}
	cfg := &container.Config{
		Image:  image,
		Cmd:    args,
		Env:    in.Config.Env,
		User:   in.Config.User,
		Labels: map[string]string{"cutover.enable": "false", engine.WatchtowerLabelPrefix + "enable": "false", "cutover.self-update-of": like.Name},
	}
	src := in.HostConfig
	hc := &container.HostConfig{
		Binds:       src.Binds,
		Mounts:      src.Mounts,
		VolumesFrom: src.VolumesFrom,
		NetworkMode: src.NetworkMode,
		GroupAdd:    src.GroupAdd,
		SecurityOpt: src.SecurityOpt,
		ExtraHosts:  src.ExtraHosts,
		DNS:         src.DNS,
		DNSSearch:   src.DNSSearch,
		DNSOptions:  src.DNSOptions,
	}
	nets := map[string]*network.EndpointSettings{}
	if in.NetworkSettings != nil && !src.NetworkMode.IsContainer() && !src.NetworkMode.IsHost() {
		nets = in.NetworkSettings.Networks
	}
	primary := primaryNetwork(src.NetworkMode, nets, sortedKeys(nets))
	var netCfg *network.NetworkingConfig
	if primary != "" {
		netCfg = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{primary: {}}}
	}
	res, err := r.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc, NetworkingConfig: netCfg, Name: name})
	if err != nil {
		return "", fmt.Errorf("create the hand-over container: %w", err)
	}
	// Every network the instance is on: the engine may be reached over any
	// of them (a socket proxy on its own network, say).
	for n := range nets {
		if n == primary {
			continue
		}
		if _, err := r.cli.NetworkConnect(ctx, n, client.NetworkConnectOptions{Container: res.ID}); err != nil {
			r.discard(res.ID)
			return "", fmt.Errorf("connect the hand-over container to %s: %w", n, err)
		}
	}
	if _, err := r.cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		r.discard(res.ID)
		return "", fmt.Errorf("start the hand-over container: %w", err)
	}
	return res.ID, nil
}

// OneShot is how a hand-over container ended.
type OneShot struct {
	Found    bool
	Running  bool
	ExitCode int
	// Log is the end of its output.
	Log string
}

// ReapOneShot looks at the hand-over container of the container named
// name: once it has ended, it is removed, and how it went is returned.
func (r *Runtime) ReapOneShot(ctx context.Context, name string) (OneShot, error) {
	in, err := r.inspect(ctx, name+HandOverSuffix)
	if isNotFound(err) {
		return OneShot{}, nil
	}
	if err != nil {
		return OneShot{}, err
	}
	out := OneShot{Found: true}
	if in.State != nil {
		out.Running, out.ExitCode = in.State.Running, in.State.ExitCode
	}
	if out.Running {
		return out, nil
	}
	out.Log = r.logTail(ctx, in.ID)
	if err := r.Remove(ctx, in.ID, true); err != nil && !isNotFound(err) {
		return out, err
	}
	return out, nil
}

// logTail returns the last lines a container wrote, for a diagnosis.
func (r *Runtime) logTail(ctx context.Context, id string) string {
	rc, err := r.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "20"})
	if err != nil {
		return ""
	}
	defer rc.Close()
	out := &headWriter{max: 4096}
	_, _ = stdcopy.StdCopy(out, out, rc)
	return strings.TrimSpace(string(out.buf))
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/cutover/cutover/internal/engine"
)

// removeTimeout bounds the removal of a half-made replacement.
const removeTimeout = 30 * time.Second

// CreateReplacement creates, without starting it, a container named r.Name
// on r.Image (already pulled) with every setting the user gave old: its
// Config less the old image's defaults (see replacementConfig), its
// HostConfig whole, its anonymous volumes (unless r.FreshVolumes), and its
// networks with their aliases and static addresses; Compose's image label
// names the new image (see withComposeImage). It returns the new
// container's id; a container it made before failing is removed again.
//
// Each endpoint keeps its MAC address, unless the engine derived it from the
// IP address (see carriedMAC): users of macvlan networks with DHCP
// reservations count on it, and current engines (API 1.52 on) no longer tell
// an address the user set from one they picked.
func (r *Runtime) CreateReplacement(ctx context.Context, old engine.Container, rep engine.Replacement) (string, error) {
	img, err := r.inspectImage(ctx, rep.Image)
	if err != nil {
		return "", fmt.Errorf("new image %s: %w", rep.Image, err)
	}
	bp, err := r.blueprint(ctx, old.ID, rep.Image, old.NetworkContainer, rep.FreshVolumes)
	if err != nil {
		return "", err
	}
	bp.Config.Labels = withComposeImage(withMarks(bp.Config.Labels, rep.Marks), img.ID)
	return r.create(ctx, rep.Name, bp)
}

// blueprint is everything needed to create a container: what CreateReplacement
// builds from an old container, and what Define keeps in the journal.
type blueprint struct {
	Config     *container.Config
	HostConfig *container.HostConfig
	// Networks are the old container's endpoints, by network name, and
	// OldID its id, whose short form the engine added as an alias.
	Networks map[string]*network.EndpointSettings
	OldID    string
	// MAC is the address the engine reports the user set, "" for none.
	MAC string
}

// blueprint describes how to create a copy of container id on image, named
// as peer says for a network container (see replacementHostConfig); fresh
// leaves its anonymous volumes behind.
func (r *Runtime) blueprint(ctx context.Context, id, image, peer string, fresh bool) (blueprint, error) {
	res, err := r.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return blueprint{}, notFound("container", id, err)
	}
	in := res.Container
	if in.Config == nil || in.HostConfig == nil {
		return blueprint{}, fmt.Errorf("container %q: engine returned no configuration", id)
	}
	name := strings.TrimPrefix(in.Name, "/")
	oldImage, err := r.inspectImage(ctx, in.Image)
	if err != nil {
		return blueprint{}, fmt.Errorf("old image of %s: %w", name, err)
	}
	var imgCfg dockerspec.DockerOCIImageConfig
	if oldImage.Config != nil {
		imgCfg = *oldImage.Config
	}
	daemonHostname := ""
	if in.HostConfig.NetworkMode.IsHost() || in.HostConfig.UTSMode.IsHost() {
		info, err := r.cli.Info(ctx, client.InfoOptions{})
		if err != nil {
			return blueprint{}, err
		}
		daemonHostname = info.Info.Name
	}
	bp := blueprint{Config: replacementConfig(in, imgCfg, image, daemonHostname), OldID: in.ID}
	bp.HostConfig, err = r.replacementHostConfig(ctx, in, peer, fresh)
	if err != nil {
		return blueprint{}, err
	}
	if mode := in.HostConfig.NetworkMode; mode.IsPrivate() && !mode.IsNone() {
		bp.MAC = userMAC(res.Raw)
	}
	if in.NetworkSettings != nil {
		bp.Networks = in.NetworkSettings.Networks
	}
	return bp, nil
}

// create creates a container named name from bp, joined to its networks.
func (r *Runtime) create(ctx context.Context, name string, bp blueprint) (string, error) {
	version, err := r.apiVersion(ctx)
	if err != nil {
		return "", err
	}
	plan := planNetworks(container.InspectResponse{
		ID: bp.OldID, HostConfig: bp.HostConfig,
		NetworkSettings: &container.NetworkSettings{Networks: bp.Networks},
	}, bp.MAC, versions.LessThan(version, "1.44"))

	var id string
	if plan.configMAC != "" {
		req := container.CreateRequest{Config: bp.Config, HostConfig: bp.HostConfig, NetworkingConfig: plan.create}
		id, err = r.createWithConfigMAC(ctx, name, version, req, plan.configMAC)
	} else {
		var created client.ContainerCreateResult
		created, err = r.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
			Name: name, Config: bp.Config, HostConfig: bp.HostConfig, NetworkingConfig: plan.create,
		})
		id = created.ID
	}
	if err != nil {
		return "", fmt.Errorf("create %s: %w", name, err)
	}
	for _, a := range plan.connect {
		_, err := r.cli.NetworkConnect(ctx, a.network, client.NetworkConnectOptions{Container: id, EndpointConfig: a.endpoint})
		if err != nil {
			r.discard(id)
			return "", fmt.Errorf("connect %s to network %s: %w", name, a.network, err)
		}
	}
	return id, nil
}

// replacementHostConfig returns old's HostConfig, which holds what the user
// set and the engine's masked and read-only paths, made to outlive the
// containers it points at: a network container named by id is named by
// name, and anonymous volumes are attached by name unless fresh ones are
// asked for. The engine's paths go, so the engine fills in its own again.
//
// peer, when set, is the name the caller resolved for the network container:
// it knows containers that were swapped away, whose old id no longer
// resolves here.
func (r *Runtime) replacementHostConfig(ctx context.Context, old container.InspectResponse, peer string, fresh bool) (*container.HostConfig, error) {
	hc := *old.HostConfig
	// The engine records its default lists in the container at create, and
	// inspect shows them: copied, they would keep the list of the engine
	// that created the old container, without the paths newer engines mask
	// (/proc/interrupts). Empty lists are the user's systempaths=unconfined.
	if len(hc.MaskedPaths) > 0 {
		hc.MaskedPaths = nil
	}
	if len(hc.ReadonlyPaths) > 0 {
		hc.ReadonlyPaths = nil
	}
	if hc.NetworkMode.IsContainer() && peer != "" && peer != hc.NetworkMode.ConnectedContainer() {
		hc.NetworkMode = container.NetworkMode("container:" + peer)
	} else if hc.NetworkMode.IsContainer() {
		ref := hc.NetworkMode.ConnectedContainer()
		peer, err := r.inspect(ctx, ref)
		switch {
		case isNotFound(err):
			// Left as is; the create says what is wrong.
		case err != nil:
			return nil, err
		case strings.HasPrefix(peer.ID, ref):
			hc.NetworkMode = container.NetworkMode("container:" + strings.TrimPrefix(peer.Name, "/"))
		}
	}
	hc.Links = linksByName(hc.Links)
	if fresh {
		return &hc, nil
	}
	fromOthers := make(map[string]bool)
	for _, v := range hc.VolumesFrom {
		src, _, _ := strings.Cut(v, ":")
		peer, err := r.inspect(ctx, src)
		if err != nil {
			return nil, fmt.Errorf("volumes-from %s: %w", src, err)
		}
		for _, m := range peer.Mounts {
			fromOthers[m.Destination] = true
		}
	}
	keepAnonymousVolumes(&hc, old.Mounts, fromOthers)
	return &hc, nil
}

// userMAC returns the MAC address in the raw inspect's Config.MacAddress: the
// SDK no longer decodes it, and engines before API 1.52 report there the
// address the user set.
func userMAC(raw json.RawMessage) string {
	var v struct {
		Config struct {
			MacAddress string
		}
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v.Config.MacAddress
}

// discard removes a half-made container. It runs on a fresh context: the
// caller's may be the reason for the failure. Volumes attached by name, as
// the old container's are, survive the removal.
func (r *Runtime) discard(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	_, _ = r.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
}

// withMarks replaces the swap marks of an earlier swap with this one's: they
// describe a swap, not the container.
func withMarks(labels, marks map[string]string) map[string]string {
	out := make(map[string]string, len(labels)+len(marks))
	for k, v := range labels {
		if !strings.HasPrefix(k, engine.SwapLabelPrefix) {
			out[k] = v
		}
	}
	for k, v := range marks {
		out[k] = v
	}
	return out
}

// linksByName turns the links an inspect shows ("/db:/web/db") into the
// form create takes ("db:db"), naming each linked container by the name its
// swap gives back to it: the engine makes a link follow its container
// through a rename, so a container linked to one cutover swapped names the
// old copy, renamed aside, or gone.
func linksByName(links []string) []string {
	if len(links) == 0 {
		return links
	}
	out := make([]string, 0, len(links))
	for _, l := range links {
		target, alias, found := strings.Cut(l, ":")
		target = strings.TrimPrefix(target, "/")
		for _, suffix := range []string{engine.AsideSuffix, engine.RetiredSuffix, engine.NewSuffix} {
			target = strings.TrimSuffix(target, suffix)
		}
		if !found {
			out = append(out, target)
			continue
		}
		out = append(out, target+":"+path.Base(alias))
	}
	return out
}

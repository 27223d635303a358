package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// CheckOptions select the containers a check looks at.
type CheckOptions struct {
	// Names limits the check to these containers; empty means all running ones.
	Names []string
	// IncludeStopped checks stopped containers too.
	IncludeStopped bool
	// Admit, when set, keeps only the containers it returns true for.
	Admit func(Container) bool
	// Watched, when set, says which containers an atomic unit may take
	// along: the other members of a selected container's unit are checked
	// too when it returns true for them. Default: all.
	Watched func(Container) bool
}

// Check compares every selected container's image with its registry, with one
// manifest request per distinct image reference, and never changes anything.
func (e *Engine) Check(ctx context.Context, opts CheckOptions) (Report, error) {
	listed, err := e.rt.Containers(ctx, opts.IncludeStopped)
	if err != nil {
		return Report{}, err
	}
	containers, err := selectNamed(listed, opts.Names)
	if err != nil {
		return Report{}, err
	}
	if opts.Admit != nil {
		containers = slices.DeleteFunc(containers, func(c Container) bool { return !opts.Admit(c) })
	}
	containers, joined := e.joinUnits(listed, containers, opts.Watched)
	report, err := e.CheckContainers(ctx, containers, nil)
	markJoined(&report, joined)
	return report, err
}

// CheckContainers checks the given containers. Remote digests already known
// (keyed by normalised reference) are reused instead of asking the registry.
func (e *Engine) CheckContainers(ctx context.Context, containers []Container, known map[string]string) (Report, error) {
	refs := map[string]Reference{}
	parsed := make([]Reference, len(containers))
	parseErr := make([]error, len(containers))
	for i, c := range containers {
		parsed[i], parseErr[i] = parseTracked(c.Image)
		if parseErr[i] == nil {
			refs[parsed[i].Normal] = parsed[i]
		}
	}
	remote := e.remoteDigests(ctx, refs, known)
	local := e.localImages(ctx, containers, refs)
	holds := e.holds(ctx)

	groups := map[string]*Group{}
	for i, c := range containers {
		key := c.Image
		if parseErr[i] == nil {
			key = parsed[i].Normal
		}
		g := groups[key]
		if g == nil {
			g = &Group{Image: key, Ref: parsed[i]}
			if parseErr[i] != nil {
				g.Reason = parseErr[i].Error()
			} else if r := remote[key]; r.err != nil {
				g.Reason = r.err.Error()
			} else {
				g.RemoteDigest = r.digest
			}
			groups[key] = g
		}
		cs := ContainerStatus{Container: c, AutoUpdate: e.opts.AutoUpdate(c), Unit: e.unitOf(c)}
		if parseErr[i] != nil {
			cs.Status, cs.Reason = StatusUnknown, parseErr[i].Error()
			cs.LocalDigest = digestFromAny(local.byID[c.ImageID])
			cs.AutoUpdate = false
		} else {
			cs = standing(cs, parsed[i], remote[key], local)
			if h, ok := holds[c.Name]; ok && cs.Status == StatusOutdated && h.Image == key && h.Digest == g.RemoteDigest {
				cs.Held = &h
			}
		}
		g.Containers = append(g.Containers, cs)
	}

	report := Report{CheckedAt: e.opts.Now()}
	for _, g := range groups {
		sort.SliceStable(g.Containers, func(a, b int) bool {
			return g.Containers[a].Container.Name < g.Containers[b].Container.Name
		})
		g.Status = groupStatus(g.Containers)
		report.Groups = append(report.Groups, *g)
	}
	sort.SliceStable(report.Groups, func(a, b int) bool { return report.Groups[a].Image < report.Groups[b].Image })
	return report, nil
}

// standing decides one container's status from what the registry and the
// local images say.
func standing(cs ContainerStatus, ref Reference, remote remoteResult, local localImages) ContainerStatus {
	running := local.byID[cs.Container.ImageID]
	cs.LocalDigest = digestFor(running.RepoDigests, ref.Repository)
	// An image pulled by two digests of one repository (an index pushed
	// again with other platforms or attestations, say) is current if
	// either is.
	if slices.Contains(digestsFor(running.RepoDigests, ref.Repository), remote.digest) {
		cs.LocalDigest = remote.digest
	}
	if remote.err != nil {
		cs.Status, cs.Reason = StatusUnknown, remote.err.Error()
		return cs
	}
	tagged, tagKnown := local.byRef[ref.Normal]
	tagDigest := digestFor(tagged.RepoDigests, ref.Repository)
	switch {
	case cs.LocalDigest == remote.digest:
		cs.Status = StatusUpToDate
	case cs.LocalDigest != "":
		cs.Status = StatusOutdated
		cs.Pulled = tagKnown && tagDigest == remote.digest && tagged.ID != cs.Container.ImageID
	case tagKnown && tagged.ID != cs.Container.ImageID && tagDigest == remote.digest:
		// Built locally, but someone pulled the tag since: it moved past us.
		cs.Status, cs.Pulled = StatusOutdated, true
	default:
		cs.Status = StatusUnknown
		cs.Reason = "the image has no digest from " + ref.Host + " (built locally?)"
	}
	return cs
}

type remoteResult struct {
	digest string
	err    error
}

// remoteDigests asks the registry once per distinct reference, concurrently,
// with at most ChecksPerHost requests in flight per registry host.
func (e *Engine) remoteDigests(ctx context.Context, refs map[string]Reference, known map[string]string) map[string]remoteResult {
	out := make(map[string]remoteResult, len(refs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	hosts := map[string]chan struct{}{}
	if x, ok := e.reg.(Expecter); ok {
		var asked []string
		for key, ref := range refs {
			if known[key] == "" {
				asked = append(asked, ref.Normal)
			}
		}
		x.Expect(asked)
	}
	for key, ref := range refs {
		if d, ok := known[key]; ok && d != "" {
			mu.Lock()
			out[key] = remoteResult{digest: d}
			mu.Unlock()
			continue
		}
		sem := hosts[ref.Host]
		if sem == nil {
			sem = make(chan struct{}, e.opts.ChecksPerHost)
			hosts[ref.Host] = sem
		}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				out[key] = remoteResult{err: ctx.Err()}
				mu.Unlock()
				return
			}
			d, err := e.reg.Digest(ctx, ref.Normal)
			<-sem
			if err != nil {
				e.log.Debug("registry check failed", "image", ref.Normal, "err", err)
			}
			mu.Lock()
			out[key] = remoteResult{digest: d, err: err}
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

type localImages struct {
	byID  map[string]Image
	byRef map[string]Image
}

// localImages inspects each distinct image the containers run, and each
// distinct tag they name, concurrently.
func (e *Engine) localImages(ctx context.Context, containers []Container, refs map[string]Reference) localImages {
	li := localImages{byID: map[string]Image{}, byRef: map[string]Image{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	inspect := func(key string, into map[string]Image) {
		wg.Go(func() {
			sem <- struct{}{}
			img, err := e.rt.Image(ctx, key)
			<-sem
			if err != nil {
				return
			}
			mu.Lock()
			into[key] = img
			mu.Unlock()
		})
	}
	seen := map[string]bool{}
	for _, c := range containers {
		if c.ImageID != "" && !seen[c.ImageID] {
			seen[c.ImageID] = true
			inspect(c.ImageID, li.byID)
		}
	}
	for key := range refs {
		inspect(key, li.byRef)
	}
	wg.Wait()
	return li
}

func digestFromAny(img Image) string {
	if len(img.RepoDigests) == 0 {
		return ""
	}
	_, d, _ := strings.Cut(img.RepoDigests[0], "@")
	return d
}

// selectNamed keeps the containers named; every name must match one.
func selectNamed(cs []Container, names []string) ([]Container, error) {
	if len(names) == 0 {
		return cs, nil
	}
	var out []Container
	var missing []string
	for _, n := range names {
		n = strings.TrimPrefix(n, "/")
		i := slices.IndexFunc(cs, func(c Container) bool {
			return c.Name == n || c.ID == n || (len(n) >= 12 && strings.HasPrefix(c.ID, n))
		})
		if i < 0 {
			missing = append(missing, n)
			continue
		}
		if !slices.ContainsFunc(out, func(c Container) bool { return c.ID == cs[i].ID }) {
			out = append(out, cs[i])
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no running container named %s: %w", strings.Join(missing, ", "), ErrNotFound)
	}
	return out, nil
}

// IsNotFound reports whether err says a container or image does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// Containers lists the containers on the runtime; all includes stopped ones.
func (e *Engine) Containers(ctx context.Context, all bool) ([]Container, error) {
	return e.rt.Containers(ctx, all)
}

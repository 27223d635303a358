package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/policy"
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
	listed, err := e.Containers(ctx, opts.IncludeStopped)
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
	report, err := e.CheckContainers(ctx, containers, Remote{})
	markJoined(&report, joined)
	return report, err
}

// CheckContainers checks the given containers. Registry answers already
// known (a resync's) are reused instead of asking again.
//
// A check asks, concurrently and each question once: the digest of every
// distinct tag the containers run; the tag list of every repository with a
// container under a tag policy; then the digest of every tag offered; then
// the configuration of every offered image (cached by digest in the
// registry adapter), for its version, build time and release notes.
func (e *Engine) CheckContainers(ctx context.Context, containers []Container, known Remote) (Report, error) {
	now := e.opts.Now()
	cat, _ := e.reg.(Catalog)
	ws := make([]watch, len(containers))
	refs := map[string]Reference{}
	for i, c := range containers {
		ws[i] = e.watchOf(c, cat != nil)
		if ws[i].parseErr == nil {
			refs[tagOnly(ws[i].ref)] = ws[i].ref
		}
	}
	lk := e.newLookup(ctx, known)
	lk.expect(refs)
	for _, w := range ws {
		if w.parseErr != nil {
			continue
		}
		lk.digest(w.ref)
		if w.byTags {
			lk.tagList(cat, w.ref)
		}
	}
	lk.wait()
	inspect := map[string]bool{}
	for i := range ws {
		w := &ws[i]
		if w.parseErr != nil {
			continue
		}
		if !w.ref.Pinned() && !w.c.IsService() {
			inspect[w.ref.Normal] = true
		}
		w.choose(lk)
		if w.moveTo.Normal != "" {
			lk.digest(w.moveTo)
		}
	}
	lk.wait()
	for i := range ws {
		if ws[i].moveTo.Normal != "" && !ws[i].ref.Pinned() {
			inspect[ws[i].moveTo.Normal] = true
		}
	}
	local := e.localImages(ctx, containers, inspect)

	statuses := make([]*ContainerStatus, len(ws))
	delays := make([]time.Duration, len(ws))
	for i := range ws {
		cs := e.standingOf(&ws[i], lk, local)
		statuses[i], delays[i] = &cs, ws[i].delay
		if cs.Offer != nil && cat != nil {
			lk.image(cat, cs.Offer)
		}
	}
	lk.wait()
	for i, cs := range statuses {
		if cs.Offer != nil {
			r := lk.imageOf(cs.Offer)
			cs.Offer.describe(r.img, cat != nil && r.err == nil, ws[i].sel.Policy != policy.Digest)
		}
	}
	e.coolDown(ctx, statuses, delays, now)
	holds := e.holds(ctx)
	for _, cs := range statuses {
		if h, ok := holds[cs.Container.Name]; ok && cs.Offer != nil && h.Image == cs.Offer.Reference && h.Digest == cs.Offer.Digest {
			cs.Held = &h
		}
		if why := waiting(*cs, now); why != "" {
			cs.Note = why
		}
	}

	groups := map[string]*Group{}
	for i, w := range ws {
		key := w.c.Image
		if w.parseErr == nil {
			key = w.ref.Normal
		}
		g := groups[key]
		if g == nil {
			g = &Group{Image: key, Ref: w.ref}
			if w.parseErr != nil {
				g.Reason = w.parseErr.Error()
			} else if r := lk.digestOf(w.ref); r.err != nil {
				g.Reason = r.err.Error()
			} else {
				g.RemoteDigest = r.digest
			}
			groups[key] = g
		}
		g.Containers = append(g.Containers, *statuses[i])
	}

	report := Report{CheckedAt: now, Remote: lk.remote()}
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

// watch is what a check knows of one container before it asks anyone.
type watch struct {
	c        Container
	ref      Reference
	parseErr error // the reference cannot be followed at all
	labelErr error // a label of the container does not parse
	rules    policy.Rules
	delay    time.Duration
	// byTags is set when the repository's tags are listed for it: a tag
	// policy, on a tag with a version shape.
	byTags bool
	sel    policy.Selection
	// moveTo is the reference of the tag offered under a tag policy, zero
	// when none is.
	moveTo Reference
	// note says why the policy does not apply as asked.
	note string
}

// watchOf reads a container's reference and labels. canList says whether
// the registry lists tags at all.
func (e *Engine) watchOf(c Container, canList bool) watch {
	w := watch{c: c, sel: policy.Selection{Policy: policy.Digest}}
	w.ref, w.parseErr = parseTracked(c.Image)
	if w.parseErr != nil {
		return w
	}
	if w.rules, w.labelErr = rulesOf(c, e.opts.Policy); w.labelErr != nil {
		return w
	}
	if w.delay, w.labelErr = cooldownOf(c, e.opts.CooldownDelay); w.labelErr != nil {
		return w
	}
	if w.rules.Policy == policy.Digest {
		return w
	}
	if c.IsService() {
		// Moving a service to another tag would rewrite its spec beyond
		// the digest Swarm pins; that stays a person's change.
		w.note = fmt.Sprintf("a Swarm service follows its tag's digest: the %s policy moves containers only", w.rules.Policy)
		return w
	}
	if _, versioned := policy.ParseVersion(w.ref.Tag); !versioned {
		// Select says why, without looking at any tag.
		w.sel = w.rules.Select(w.ref.Tag, nil)
		w.note = w.sel.Reason
		return w
	}
	if !canList {
		w.note = fmt.Sprintf("the registry adapter cannot list tags, so the %s policy cannot apply: following the tag's digest", w.rules.Policy)
		return w
	}
	w.byTags = true
	return w
}

// choose picks the tag offered under the container's tag policy from the
// tags listed.
func (w *watch) choose(lk *lookup) {
	if !w.byTags {
		return
	}
	r := lk.tagsOf(w.ref)
	if r.err != nil {
		w.note = fmt.Sprintf("cannot list the tags of %s (%v): following the tag's digest", w.ref.Repository, r.err)
		return
	}
	w.sel = w.rules.Select(w.ref.Tag, r.tags)
	if w.sel.Latest != w.sel.Tag {
		w.note = fmt.Sprintf("%s is out, beyond the %s policy", w.sel.Latest, w.sel.Policy)
	}
	if w.sel.Tag == "" {
		return
	}
	// The digest is not known yet; the pinned form is written once it is.
	to, err := offerReference(Reference{Normal: tagOnly(w.ref)}, w.sel.Tag, "")
	if err != nil {
		w.note = fmt.Sprintf("offered tag %q: %v", w.sel.Tag, err)
		return
	}
	w.moveTo = to
}

// standingOf decides one container's status and offer from what the
// registry and the local images say.
func (e *Engine) standingOf(w *watch, lk *lookup, local localImages) ContainerStatus {
	c := w.c
	cs := ContainerStatus{Container: c, AutoUpdate: e.opts.AutoUpdate(c), Policy: w.sel.Policy, Unit: e.unitOf(c)}
	running := local.byID[c.ImageID]
	switch {
	case taskReason(c) != "":
		cs.Status, cs.Reason = StatusUnknown, taskReason(c)
		cs.LocalDigest = digestFromAny(running)
		cs.AutoUpdate = false
		cs.Policy = ""
		return cs
	case w.parseErr != nil:
		cs.Status, cs.Reason = StatusUnknown, w.parseErr.Error()
		cs.LocalDigest = digestFromAny(running)
		cs.AutoUpdate = false
		cs.Policy = ""
		return cs
	case w.labelErr != nil:
		cs.Status, cs.Reason = StatusUnknown, w.labelErr.Error()
		cs.LocalDigest = digestFor(running.RepoDigests, w.ref.Repository)
		cs.Policy = ""
		return cs
	}
	cs.Pinned = w.ref.Pinned()
	cs.CurrentVersion = currentVersion(w.ref, running, w.sel.Policy != policy.Digest)
	cs.Note = w.note
	own := lk.digestOf(w.ref)
	switch {
	case c.IsService():
		// The digest Swarm pins is its own, not a person's: a service
		// follows its tag.
		cs = serviceStanding(cs, own)
		if cs.Status == StatusOutdated {
			cs.Offer = &Offer{Reference: w.ref.Normal, Ref: w.ref, Digest: own.digest}
		}
		return cs
	case cs.Pinned:
		cs.LocalDigest = w.ref.Digest
		switch {
		case own.err != nil:
			cs.Status, cs.Reason = StatusUnknown, own.err.Error()
		case own.digest == w.ref.Digest:
			cs.Status = StatusUpToDate
		default:
			cs.Status = StatusOutdated
			cs.Offer = newOffer(w.ref, w.ref.Tag, own.digest)
		}
	default:
		cs = standing(cs, w.ref, own, local)
		if cs.Status == StatusOutdated {
			cs.Offer = &Offer{Reference: w.ref.Normal, Ref: w.ref, Digest: own.digest}
		}
	}
	if w.moveTo.Normal == "" {
		return cs
	}
	moved := lk.digestOf(w.moveTo)
	if moved.err != nil {
		cs.Note = fmt.Sprintf("%s is offered, but its digest is unknown (%v)", w.sel.Tag, moved.err)
		return cs
	}
	cs.Status, cs.Reason = StatusOutdated, ""
	cs.Offer = newOffer(w.ref, w.sel.Tag, moved.digest)
	if tagged, ok := local.byRef[w.moveTo.Normal]; ok && !cs.Pinned {
		cs.Pulled = slices.Contains(digestsFor(tagged.RepoDigests, w.ref.Repository), moved.digest)
	} else {
		cs.Pulled = false
	}
	return cs
}

// newOffer is the offer of tag at digest to a container on ref.
func newOffer(ref Reference, tag, digest string) *Offer {
	to, err := offerReference(ref, tag, digest)
	if err != nil {
		return nil
	}
	return &Offer{Reference: to.Normal, Ref: to, Digest: digest}
}

// standing decides one container's status from what the registry and the
// local images say of the tag it runs.
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
	if cs.LocalDigest == "" && len(running.RepoDigests) == 0 {
		// Said, not weighed: the status above stays what the engine's
		// names tell.
		cs.LocalDigest = running.Digest
	}
	return cs
}

type localImages struct {
	byID  map[string]Image
	byRef map[string]Image
}

// localImages inspects each distinct image the containers run, and each
// reference in refs, concurrently.
func (e *Engine) localImages(ctx context.Context, containers []Container, refs map[string]bool) localImages {
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
		return img.Digest
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
		i := slices.IndexFunc(cs, func(c Container) bool { return c.Named(n) })
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

// Containers lists the containers on the runtime, and the services when it
// is a Swarm manager; all includes stopped ones.
func (e *Engine) Containers(ctx context.Context, all bool) ([]Container, error) {
	cs, err := e.rt.Containers(ctx, all)
	if err != nil {
		return nil, err
	}
	return e.withServices(ctx, cs, all), nil
}

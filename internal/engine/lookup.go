package engine

import (
	"context"
	"sync"

	"github.com/cutover/cutover/internal/release"
)

// Remote is what registries answered during a check: a later check (a
// resync after containers changed) reuses it instead of asking again.
type Remote struct {
	// Digests are the digests tags point to, by tag reference
	// ("nginx:1.27").
	Digests map[string]string
	// Tags are the tag lists of repositories, by repository.
	Tags map[string][]string
}

type remoteResult struct {
	digest string
	err    error
}

type tagsResult struct {
	tags []string
	err  error
}

type imageResult struct {
	img release.Image
	err error
}

// lookup asks registries what one check needs, each question once, with
// at most ChecksPerHost requests in flight per registry host. Questions
// are asked concurrently; wait returns once every one asked so far is
// answered.
type lookup struct {
	e     *Engine
	ctx   context.Context
	known Remote
	wg    sync.WaitGroup

	mu      sync.Mutex
	hosts   map[string]chan struct{}
	digests map[string]remoteResult // by tag reference
	tags    map[string]tagsResult   // by repository
	images  map[string]imageResult  // by repository@digest
}

func (e *Engine) newLookup(ctx context.Context, known Remote) *lookup {
	return &lookup{
		e: e, ctx: ctx, known: known, hosts: map[string]chan struct{}{},
		digests: map[string]remoteResult{}, tags: map[string]tagsResult{}, images: map[string]imageResult{},
	}
}

// expect tells a registry that prepares for a check (Expecter) which tag
// references are about to be asked for; their repositories cover the tag
// lists and images asked for later.
func (l *lookup) expect(refs map[string]Reference) {
	x, ok := l.e.reg.(Expecter)
	if !ok {
		return
	}
	var asked []string
	for key, ref := range refs {
		if l.known.Digests[key] == "" {
			asked = append(asked, tagOnly(ref))
		}
	}
	x.Expect(asked)
}

// ask runs fetch under host's bound, unless ctx ends first.
func (l *lookup) ask(host string, fetch func(), cancelled func(error)) {
	l.mu.Lock()
	sem := l.hosts[host]
	if sem == nil {
		sem = make(chan struct{}, l.e.opts.ChecksPerHost)
		l.hosts[host] = sem
	}
	l.mu.Unlock()
	l.wg.Go(func() {
		select {
		case sem <- struct{}{}:
		case <-l.ctx.Done():
			cancelled(l.ctx.Err())
			return
		}
		defer func() { <-sem }()
		fetch()
	})
}

// askOnce asks for key at most once per check, keeping the answer in m: a
// known answer (a resync's) is taken as it is; else fetch runs under host's
// bound, and failed gives the answer of a check cancelled first.
func askOnce[R any](l *lookup, m map[string]R, key, host string, known *R, fetch func() R, failed func(error) R) {
	l.mu.Lock()
	if _, asked := m[key]; asked {
		l.mu.Unlock()
		return
	}
	if known != nil {
		m[key] = *known
		l.mu.Unlock()
		return
	}
	var pending R
	m[key] = pending
	l.mu.Unlock()
	set := func(r R) {
		l.mu.Lock()
		m[key] = r
		l.mu.Unlock()
	}
	l.ask(host, func() { set(fetch()) }, func(err error) { set(failed(err)) })
}

// digest asks what the tag ref follows points to now.
func (l *lookup) digest(ref Reference) {
	key := tagOnly(ref)
	var known *remoteResult
	if d := l.known.Digests[key]; d != "" {
		known = &remoteResult{digest: d}
	}
	askOnce(l, l.digests, key, ref.Host, known, func() remoteResult {
		d, err := l.e.reg.Digest(l.ctx, key)
		if err != nil {
			l.e.log.Debug("registry check failed", "image", key, "err", err)
		}
		return remoteResult{digest: d, err: err}
	}, func(err error) remoteResult { return remoteResult{err: err} })
}

// tagList asks for the tags of ref's repository.
func (l *lookup) tagList(cat Catalog, ref Reference) {
	key := ref.Repository
	var known *tagsResult
	if tags, ok := l.known.Tags[key]; ok {
		known = &tagsResult{tags: tags}
	}
	askOnce(l, l.tags, key, ref.Host, known, func() tagsResult {
		tags, err := cat.Tags(l.ctx, tagOnly(ref))
		if err != nil {
			l.e.log.Debug("tag list failed", "repository", key, "err", err)
		}
		return tagsResult{tags: tags, err: err}
	}, func(err error) tagsResult { return tagsResult{err: err} })
}

// image asks for the configuration of the image an offer names.
func (l *lookup) image(cat Catalog, o *Offer) {
	key := o.Ref.Repository + "@" + o.Digest
	ref := stripTag(tagOnly(o.Ref)) + "@" + o.Digest
	askOnce(l, l.images, key, o.Ref.Host, nil, func() imageResult {
		img, err := cat.Image(l.ctx, ref)
		if err != nil {
			l.e.log.Debug("cannot read the offered image's configuration", "image", ref, "err", err)
		}
		return imageResult{img: img, err: err}
	}, func(err error) imageResult { return imageResult{err: err} })
}

func (l *lookup) wait() { l.wg.Wait() }

func (l *lookup) digestOf(ref Reference) remoteResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.digests[tagOnly(ref)]
}

func (l *lookup) tagsOf(ref Reference) tagsResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tags[ref.Repository]
}

func (l *lookup) imageOf(o *Offer) imageResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.images[o.Ref.Repository+"@"+o.Digest]
}

// remote returns the answers worth reusing: the successful ones.
func (l *lookup) remote() Remote {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := Remote{Digests: map[string]string{}, Tags: map[string][]string{}}
	for k, v := range l.digests {
		if v.err == nil && v.digest != "" {
			r.Digests[k] = v.digest
		}
	}
	for k, v := range l.tags {
		if v.err == nil {
			r.Tags[k] = v.tags
		}
	}
	return r
}

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

// digest asks what the tag ref follows points to now.
func (l *lookup) digest(ref Reference) {
	key := tagOnly(ref)
	l.mu.Lock()
	if _, asked := l.digests[key]; asked {
		l.mu.Unlock()
		return
	}
	if d := l.known.Digests[key]; d != "" {
		l.digests[key] = remoteResult{digest: d}
		l.mu.Unlock()
		return
	}
	l.digests[key] = remoteResult{}
	l.mu.Unlock()
	set := func(r remoteResult) {
		l.mu.Lock()
		l.digests[key] = r
		l.mu.Unlock()
	}
	l.ask(ref.Host, func() {
		d, err := l.e.reg.Digest(l.ctx, key)
		if err != nil {
			l.e.log.Debug("registry check failed", "image", key, "err", err)
		}
		set(remoteResult{digest: d, err: err})
	}, func(err error) { set(remoteResult{err: err}) })
}

// tagList asks for the tags of ref's repository.
func (l *lookup) tagList(cat Catalog, ref Reference) {
	key := ref.Repository
	l.mu.Lock()
	if _, asked := l.tags[key]; asked {
		l.mu.Unlock()
		return
	}
	if tags, ok := l.known.Tags[key]; ok {
		l.tags[key] = tagsResult{tags: tags}
		l.mu.Unlock()
		return
	}
	l.tags[key] = tagsResult{}
	l.mu.Unlock()
	set := func(r tagsResult) {
		l.mu.Lock()
		l.tags[key] = r
		l.mu.Unlock()
	}
	l.ask(ref.Host, func() {
		tags, err := cat.Tags(l.ctx, tagOnly(ref))
		if err != nil {
			l.e.log.Debug("tag list failed", "repository", key, "err", err)
		}
		set(tagsResult{tags: tags, err: err})
	}, func(err error) { set(tagsResult{err: err}) })
}

// image asks for the configuration of the image an offer names.
func (l *lookup) image(cat Catalog, o *Offer) {
	key := o.Ref.Repository + "@" + o.Digest
	l.mu.Lock()
	if _, asked := l.images[key]; asked {
		l.mu.Unlock()
		return
	}
	l.images[key] = imageResult{}
	l.mu.Unlock()
	set := func(r imageResult) {
		l.mu.Lock()
		l.images[key] = r
		l.mu.Unlock()
	}
	ref := stripTag(tagOnly(o.Ref)) + "@" + o.Digest
	l.ask(o.Ref.Host, func() {
		img, err := cat.Image(l.ctx, ref)
		if err != nil {
			l.e.log.Debug("cannot read the offered image's configuration", "image", ref, "err", err)
		}
		set(imageResult{img: img, err: err})
	}, func(err error) { set(imageResult{err: err}) })
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

package fleet

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/release"
)

// Registry shares registry answers among the engines of a fleet. A tag's
// digest, or a repository's tags, asked by several engines at once is
// asked once, and an image's configuration once per platform; within one
// check of the fleet (Check, CheckContainers) an answer is reused by the
// engines that ask later. Past the pass it is forgotten: the next pass
// asks again, so a digest pushed meanwhile is seen.
type Registry struct {
	flight singleflight.Group
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{} }

// For returns the registry one engine asks: reg, the registry client of
// the engine's platform (the one whose image configurations it reads),
// with its answers shared. It is a Catalog when reg is one.
func (r *Registry) For(reg engine.Registry, platform string) engine.Registry {
	s := shared{r: r, reg: reg, platform: platform}
	if cat, ok := reg.(engine.Catalog); ok {
		return sharedCatalog{shared: s, cat: cat}
	}
	return s
}

// ask answers key once for every caller in flight, and from the pass's
// memo for the callers after them.
func (r *Registry) ask(ctx context.Context, key string, fetch func() (any, error)) (any, error) {
	m, _ := ctx.Value(memoKey{}).(*memo)
	if v, err, ok := m.get(key); ok {
		return v, err
	}
	v, err, _ := r.flight.Do(key, func() (any, error) {
		// The flight ends before its callers return: one that missed the
		// memo as an earlier flight ended finds that flight's answer here.
		if v, err, ok := m.get(key); ok {
			return v, err
		}
		v, err := fetch()
		keep(m, key, v, err)
		return v, err
	})
	// A caller of another pass that joined the flight keeps it too.
	keep(m, key, v, err)
	return v, err
}

// keep puts an answer in m, unless the ask was cancelled: that says
// nothing of the registry.
func keep(m *memo, key string, v any, err error) {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		m.put(key, v, err)
	}
}

type shared struct {
	r        *Registry
	reg      engine.Registry
	platform string
}

var (
	_ engine.Registry = shared{}
	_ engine.Expecter = shared{}
	_ engine.Catalog  = sharedCatalog{}
)

func (s shared) Digest(ctx context.Context, ref string) (string, error) {
	v, err := s.r.ask(ctx, "digest\x00"+ref, func() (any, error) { return s.reg.Digest(ctx, ref) })
	d, _ := v.(string)
	return d, err
}

func (s shared) Auth(ctx context.Context, ref string) (engine.Auth, error) {
	return s.reg.Auth(ctx, ref)
}

func (s shared) Expect(refs []string) {
	if x, ok := s.reg.(engine.Expecter); ok {
		x.Expect(refs)
	}
}

type sharedCatalog struct {
	shared
	cat engine.Catalog
}

func (s sharedCatalog) Tags(ctx context.Context, ref string) ([]string, error) {
	v, err := s.r.ask(ctx, "tags\x00"+ref, func() (any, error) { return s.cat.Tags(ctx, ref) })
	tags, _ := v.([]string)
	return slices.Clone(tags), err
}

func (s sharedCatalog) Image(ctx context.Context, ref string) (release.Image, error) {
	v, err := s.r.ask(ctx, "image\x00"+s.platform+"\x00"+ref, func() (any, error) { return s.cat.Image(ctx, ref) })
	img, _ := v.(release.Image)
	img.Labels = maps.Clone(img.Labels)
	return img, err
}

// memo keeps the registry's answers for one check or pass of the fleet.
type memo struct {
	mu      sync.Mutex
	answers map[string]answer
}

type answer struct {
	v   any
	err error
}

type memoKey struct{}

// withMemo gives ctx a memo of its own, unless it has one: a pass's checks
// share the pass's.
func withMemo(ctx context.Context) context.Context {
	if _, ok := ctx.Value(memoKey{}).(*memo); ok {
		return ctx
	}
	return context.WithValue(ctx, memoKey{}, &memo{answers: map[string]answer{}})
}

func (m *memo) get(key string) (any, error, bool) {
	if m == nil {
		return nil, nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.answers[key]
	return a.v, a.err, ok
}

func (m *memo) put(key string, v any, err error) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.answers[key] = answer{v: v, err: err}
}

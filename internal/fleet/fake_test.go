package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// fakeEngine is an in-memory Docker engine as the update engine needs it:
// names are unique, a stopped container reports it, and it can stop
// answering (down) or hold every call until released (hold), as a remote
// engine that goes away or hangs does.
type fakeEngine struct {
	mu         sync.Mutex
	containers map[string]*engine.Container // by id
	images     map[string]engine.Image      // by id and by reference
	serves     map[string]engine.Image      // what a pull of a reference brings
	calls      []string
	nextID     int
	down       error
	// hold, when set, makes every call wait until it is closed or the
	// call's context ends; held is closed at the first call it holds.
	hold, held chan struct{}
	heldOnce   sync.Once
}

var _ engine.Runtime = (*fakeEngine)(nil)

func newFakeEngine() *fakeEngine {
	return &fakeEngine{containers: map[string]*engine.Container{}, images: map[string]engine.Image{}, serves: map[string]engine.Image{}}
}

// enter is the start of every call: it waits while the engine is held and
// fails while it is down.
func (f *fakeEngine) enter(ctx context.Context) error {
	f.mu.Lock()
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		f.heldOnce.Do(func() { close(f.held) })
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

// holdCalls makes every later call wait until release is called.
func (f *fakeEngine) holdCalls() (held <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold, f.held = make(chan struct{}), make(chan struct{})
	return f.held, sync.OnceFunc(func() { close(f.hold) })
}

func (f *fakeEngine) setDown(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = err
}

// image makes ref run image id locally at digest, and a pull of ref bring
// image id2 at digest2.
func (f *fakeEngine) image(ref, id, digest, id2, digest2 string) {
	repo := ref[:strings.LastIndex(ref, ":")]
	img := engine.Image{ID: id, RepoDigests: []string{repo + "@" + digest}}
	f.images[id], f.images[ref] = img, img
	f.serves[ref] = engine.Image{ID: id2, RepoDigests: []string{repo + "@" + digest2}}
}

func (f *fakeEngine) run(name, ref string) {
	f.nextID++
	c := &engine.Container{ID: fmt.Sprintf("%s%060d", name[:min(4, len(name))], f.nextID), Name: name, Image: ref, ImageID: f.images[ref].ID, State: engine.StateRunning}
	f.containers[c.ID] = c
}

func (f *fakeEngine) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeEngine) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeEngine) byName(n string) *engine.Container {
	for _, c := range f.containers {
		if c.Name == n || c.ID == n {
			return c
		}
	}
	return nil
}

// imageOf is the image id the container named n runs, "" when none is.
func (f *fakeEngine) imageOf(n string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.byName(n); c != nil {
		return c.ImageID
	}
	return ""
}

func (f *fakeEngine) Containers(ctx context.Context, all bool) ([]engine.Container, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []engine.Container
	for _, c := range f.containers {
		if all || c.Up() {
			cc := *c
			cc.Labels = maps.Clone(c.Labels)
			out = append(out, cc)
		}
	}
	return out, nil
}

func (f *fakeEngine) Container(ctx context.Context, idOrName string) (engine.Container, error) {
	if err := f.enter(ctx); err != nil {
		return engine.Container{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.byName(idOrName); c != nil {
		cc := *c
		cc.Labels = maps.Clone(c.Labels)
		return cc, nil
	}
	return engine.Container{}, fmt.Errorf("container %q: %w", idOrName, engine.ErrNotFound)
}

func (f *fakeEngine) Image(ctx context.Context, ref string) (engine.Image, error) {
	if err := f.enter(ctx); err != nil {
		return engine.Image{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if img, ok := f.images[ref]; ok {
		return img, nil
	}
	return engine.Image{}, fmt.Errorf("image %q: %w", ref, engine.ErrNotFound)
}

func (f *fakeEngine) Pull(ctx context.Context, ref string, _ engine.Auth, progress func(engine.PullProgress)) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("pull %s", ref)
	img, ok := f.serves[ref]
	if !ok {
		return errors.New("manifest unknown")
	}
	f.images[ref], f.images[img.ID] = img, img
	return nil
}

func (f *fakeEngine) create(c engine.Container, name string) (string, error) {
	if o := f.byName(name); o != nil {
		return "", fmt.Errorf("conflict: the name %s is already in use by %s", name, o.ID)
	}
	f.nextID++
	c.ID, c.Name, c.State = fmt.Sprintf("new%061d", f.nextID), name, engine.StateCreated
	f.containers[c.ID] = &c
	f.record("create %s on %s", name, c.ImageID)
	return c.ID, nil
}

func (f *fakeEngine) CreateReplacement(ctx context.Context, old engine.Container, r engine.Replacement) (string, error) {
	if err := f.enter(ctx); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := old
	c.Image, c.ImageID, c.Created = r.Image, f.images[r.Image].ID, time.Now()
	c.Labels = maps.Clone(old.Labels)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	for k := range c.Labels {
		if strings.HasPrefix(k, engine.SwapLabelPrefix) {
			delete(c.Labels, k)
		}
	}
	maps.Copy(c.Labels, r.Marks)
	return f.create(c, r.Name)
}

func (f *fakeEngine) Define(ctx context.Context, id string) (engine.Definition, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return nil, fmt.Errorf("container %q: %w", id, engine.ErrNotFound)
	}
	return json.Marshal(c)
}

func (f *fakeEngine) Rebuild(ctx context.Context, def engine.Definition, name string) (string, error) {
	if err := f.enter(ctx); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var c engine.Container
	if err := json.Unmarshal(def, &c); err != nil {
		return "", err
	}
	return f.create(c, name)
}

func (f *fakeEngine) NextExit(ctx context.Context, _ string) (<-chan int, error) {
	return make(chan int), f.enter(ctx)
}

// change applies what to the container id, after the engine let the call
// through.
func (f *fakeEngine) change(ctx context.Context, id string, what func(c *engine.Container) error) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return fmt.Errorf("container %q: %w", id, engine.ErrNotFound)
	}
	return what(c)
}

func (f *fakeEngine) Stop(ctx context.Context, id, _ string, _ time.Duration) error {
	return f.change(ctx, id, func(c *engine.Container) error {
		f.record("stop %s", c.Name)
		c.State = engine.StateExited
		return nil
	})
}

func (f *fakeEngine) Start(ctx context.Context, id string) error {
	return f.change(ctx, id, func(c *engine.Container) error {
		f.record("start %s", c.Name)
		c.State = engine.StateRunning
		return nil
	})
}

func (f *fakeEngine) Restart(ctx context.Context, id string, _ time.Duration) error {
	return f.change(ctx, id, func(c *engine.Container) error { f.record("restart %s", c.Name); return nil })
}

func (f *fakeEngine) Pause(ctx context.Context, id string) error {
	return f.change(ctx, id, func(c *engine.Container) error { c.State = engine.StatePaused; return nil })
}

func (f *fakeEngine) Unpause(ctx context.Context, id string) error {
	return f.change(ctx, id, func(c *engine.Container) error { c.State = engine.StateRunning; return nil })
}

func (f *fakeEngine) Rename(ctx context.Context, id, name string) error {
	return f.change(ctx, id, func(c *engine.Container) error {
		if o := f.byName(name); o != nil && o != c {
			return fmt.Errorf("conflict: the name %s is already in use by %s", name, o.ID)
		}
		f.record("rename %s to %s", c.Name, name)
		c.Name = name
		return nil
	})
}

func (f *fakeEngine) Remove(ctx context.Context, id string, _ bool) error {
	return f.change(ctx, id, func(c *engine.Container) error {
		f.record("remove %s", c.Name)
		delete(f.containers, id)
		return nil
	})
}

func (f *fakeEngine) RemoveImage(ctx context.Context, _ string) error { return f.enter(ctx) }

func (f *fakeEngine) Tag(ctx context.Context, id, ref string) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[id]
	if !ok {
		return fmt.Errorf("image %q: %w", id, engine.ErrNotFound)
	}
	f.images[ref] = img
	return nil
}

func (f *fakeEngine) Health(ctx context.Context, id string) (engine.HealthState, error) {
	if err := f.enter(ctx); err != nil {
		return engine.HealthState{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return engine.HealthState{}, fmt.Errorf("container %q: %w", id, engine.ErrNotFound)
	}
	return engine.HealthState{State: c.State}, nil
}

func (f *fakeEngine) Probe(context.Context, string) (engine.ProbeResult, error) {
	return engine.ProbeResult{}, engine.ErrNoProbe
}

func (f *fakeEngine) Exec(context.Context, string, []string) (engine.ExecResult, error) {
	return engine.ExecResult{}, errors.New("exec: not in the fake")
}

// countingRegistry answers digests by reference and counts each question.
type countingRegistry struct {
	mu      sync.Mutex
	digests map[string]string
	asked   map[string]int
	// gate, when set, holds every answer until closed.
	gate chan struct{}
}

func newCountingRegistry(digests map[string]string) *countingRegistry {
	return &countingRegistry{digests: maps.Clone(digests), asked: map[string]int{}}
}

func (r *countingRegistry) Digest(ctx context.Context, ref string) (string, error) {
	r.mu.Lock()
	r.asked[ref]++
	d, ok := r.digests[ref]
	gate := r.gate
	r.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if !ok {
		return "", errors.New("registry answered 404 Not Found")
	}
	return d, nil
}

func (r *countingRegistry) Auth(context.Context, string) (engine.Auth, error) {
	return engine.Auth{}, nil
}

func (r *countingRegistry) count(ref string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asked[ref]
}

func (r *countingRegistry) set(ref, digest string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.digests[ref] = digest
}

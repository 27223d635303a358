package engine

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fakeRuntime is an in-memory engine: enough to follow the engine's calls.
type fakeRuntime struct {
	mu         sync.Mutex
	containers map[string]*Container // by id
	images     map[string]Image      // by id and by tag
	calls      []string
	nextID     int
	// startState is the state a started container reports, by image ref.
	startState map[string]HealthState
	// pullErr fails pulls of a ref.
	pullErr map[string]error
	// serves holds what a pull of a ref brings.
	serves map[string]Image
	// execCodes are the exit codes of commands run with Exec.
	execCodes map[string]int
	// active counts swaps in flight per name, to catch overlaps.
	active  map[string]int
	overlap atomic.Bool
}

func newFakeRuntime() *fakeRuntime {
	return &fakeRuntime{
		containers: map[string]*Container{},
		images:     map[string]Image{},
		startState: map[string]HealthState{},
		pullErr:    map[string]error{},
		serves:     map[string]Image{},
		execCodes:  map[string]int{},
		active:     map[string]int{},
	}
}

func (f *fakeRuntime) addImage(ref, id, digest string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img := Image{ID: id, RepoDigests: []string{repositoryOf(ref) + "@" + digest}}
	f.images[id] = img
	f.images[ref] = img
}

func (f *fakeRuntime) addContainer(c Container) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.State == "" {
		c.State = "running"
	}
	f.containers[c.ID] = &c
}

func (f *fakeRuntime) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeRuntime) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeRuntime) byName(name string) *Container {
	for _, c := range f.containers {
		if c.Name == name || c.ID == name {
			return c
		}
	}
	return nil
}

func (f *fakeRuntime) Containers(_ context.Context, all bool) ([]Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Container
	for _, c := range f.containers {
		if all || c.Running() {
			cc := *c
			cc.Labels = maps.Clone(c.Labels)
			out = append(out, cc)
		}
	}
	return out, nil
}

func (f *fakeRuntime) Container(_ context.Context, idOrName string) (Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.byName(idOrName); c != nil {
		return *c, nil
	}
	return Container{}, fmt.Errorf("container %q: %w", idOrName, ErrNotFound)
}

func (f *fakeRuntime) Image(_ context.Context, ref string) (Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img, ok := f.images[ref]; ok {
		return img, nil
	}
	return Image{}, fmt.Errorf("image %q: %w", ref, ErrNotFound)
}

func (f *fakeRuntime) Pull(_ context.Context, ref string, _ Auth, progress func(PullProgress)) error {
	f.mu.Lock()
	f.record("pull %s", ref)
	err := f.pullErr[ref]
	f.mu.Unlock()
	if err != nil {
		return err
	}
	progress(PullProgress{Layer: "abc", Status: "Downloading", Current: 1, Total: 2})
	f.mu.Lock()
	img, ok := f.serves[ref]
	if !ok {
		f.mu.Unlock()
		return fmt.Errorf("manifest unknown")
	}
	f.images[ref] = img
	f.images[img.ID] = img
	f.mu.Unlock()
	return nil
}

func (f *fakeRuntime) CreateReplacement(_ context.Context, old Container, image, name string, marks map[string]string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.active[old.Name]++
	if f.active[old.Name] > 1 {
		f.overlap.Store(true)
	}
	f.nextID++
	id := fmt.Sprintf("new%061d", f.nextID)
	img := f.images[image]
	c := old
	c.ID, c.Name, c.Image, c.ImageID, c.State, c.RestartCount = id, name, image, img.ID, "created", 0
	c.Labels = maps.Clone(old.Labels)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	for k := range c.Labels {
		if strings.HasPrefix(k, SwapLabelPrefix) {
			delete(c.Labels, k)
		}
	}
	maps.Copy(c.Labels, marks)
	f.containers[id] = &c
	f.record("create %s on %s", name, image)
	return id, nil
}

func (f *fakeRuntime) Stop(_ context.Context, id, signal string, timeout time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return ErrNotFound
	}
	c.State = "exited"
	f.record("stop %s signal=%s timeout=%s", c.Name, signal, timeout)
	return nil
}

func (f *fakeRuntime) Start(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return ErrNotFound
	}
	c.State = "running"
	if st, ok := f.startState[c.Image]; ok && strings.HasPrefix(id, "new") {
		c.State = st.State
	}
	f.record("start %s", c.Name)
	return nil
}

func (f *fakeRuntime) Restart(_ context.Context, id string, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return ErrNotFound
	}
	f.record("restart %s", c.Name)
	return nil
}

func (f *fakeRuntime) Rename(_ context.Context, id, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return ErrNotFound
	}
	if o := f.byName(name); o != nil && o != c {
		return fmt.Errorf("name %s in use", name)
	}
	f.record("rename %s to %s", c.Name, name)
	c.Name = name
	return nil
}

func (f *fakeRuntime) Remove(_ context.Context, id string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return ErrNotFound
	}
	f.record("remove %s", c.Name)
	delete(f.containers, id)
	base := strings.TrimSuffix(strings.TrimSuffix(c.Name, AsideSuffix), NewSuffix)
	if f.active[base] > 0 {
		f.active[base]--
	}
	return nil
}

func (f *fakeRuntime) RemoveImage(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("rmi %s", id)
	return nil
}

func (f *fakeRuntime) Health(_ context.Context, id string) (HealthState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return HealthState{}, ErrNotFound
	}
	h := HealthState{State: c.State, RestartCount: c.RestartCount}
	if st, ok := f.startState[c.Image]; ok {
		h.ExitCode, h.Health = st.ExitCode, st.Health
	}
	return h, nil
}

func (f *fakeRuntime) Exec(_ context.Context, id string, cmd []string) (ExecResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return ExecResult{}, ErrNotFound
	}
	f.record("exec %s %s", c.Name, strings.Join(cmd, " "))
	return ExecResult{ExitCode: f.execCodes[strings.Join(cmd, " ")]}, nil
}

func (f *fakeRuntime) Probe(context.Context, string) (ProbeResult, error) {
	return ProbeResult{}, ErrNoProbe
}

// fakeRegistry serves digests by normalised reference and counts requests.
type fakeRegistry struct {
	mu       sync.Mutex
	digests  map[string]string
	errs     map[string]error
	requests map[string]int
}

func (r *fakeRegistry) Digest(_ context.Context, ref string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.requests == nil {
		r.requests = map[string]int{}
	}
	r.requests[ref]++
	if err := r.errs[ref]; err != nil {
		return "", err
	}
	if d, ok := r.digests[ref]; ok {
		return d, nil
	}
	return "", fmt.Errorf("registry answered 404 Not Found")
}

func (r *fakeRegistry) Auth(context.Context, string) (Auth, error) { return Auth{}, nil }

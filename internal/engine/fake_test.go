package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cutover/cutover/internal/release"
)

// fakeRuntime is an in-memory engine that behaves like the real one where
// the engine's rules depend on it: a container that stops with AutoRemove
// is deleted, a restarting container cannot be renamed, a dead one cannot
// start, names are unique, and any call can be made to fail (failOn).
type fakeRuntime struct {
	mu         sync.Mutex
	containers map[string]*Container // by id
	images     map[string]Image      // by id and by tag
	calls      []string
	nextID     int
	// startState is the state a started container reports, by image ref,
	// when it runs the image a pull of that ref brings (serves).
	startState map[string]HealthState
	// pullErr fails pulls of a ref.
	pullErr map[string]error
	// serves holds what a pull of a ref brings.
	serves map[string]Image
	// execCodes are the exit codes of commands run with Exec.
	execCodes map[string]int
	// faults fail calls, in the order they were added.
	faults []*fault
	// exits are the channels NextExit handed out, by container id.
	exits map[string][]chan int
	// active counts swaps in flight per name, to catch overlaps.
	active  map[string]int
	overlap atomic.Bool
	// swarm, when set, runs Swarm services (fake_swarm_test.go).
	swarm *fakeSwarm
}

// fault fails calls of op on a container (by name or id; "" for any) times
// times (-1: always) with err.
type fault struct {
	op, target string
	err        error
	times      int
}

func newFakeRuntime() *fakeRuntime {
	return &fakeRuntime{
		containers: map[string]*Container{},
		images:     map[string]Image{},
		startState: map[string]HealthState{},
		pullErr:    map[string]error{},
		serves:     map[string]Image{},
		execCodes:  map[string]int{},
		exits:      map[string][]chan int{},
		active:     map[string]int{},
	}
}

// failOn makes the next times calls of op (create, define, rebuild, stop,
// start, pause, unpause, rename, remove, inspect, health, tag) on target
// fail with err; times -1 fails them all.
func (f *fakeRuntime) failOn(op, target string, err error, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault{op: op, target: target, err: err, times: times})
}

// injected returns the error a fault makes of this call, if any. c may be
// nil when the call names no existing container.
func (f *fakeRuntime) injected(op, ref string, c *Container) error {
	for _, ft := range f.faults {
		if ft.op != op || ft.times == 0 {
			continue
		}
		if ft.target != "" && ft.target != ref && (c == nil || (ft.target != c.Name && ft.target != c.ID)) {
			continue
		}
		if ft.times > 0 {
			ft.times--
		}
		f.record("%s %s failed (injected)", op, ref)
		return ft.err
	}
	return nil
}

var errEngineBusy = errors.New("engine answered 500: context deadline exceeded")

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
		c.State = StateRunning
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

// snapshot lists every container, for tests' final checks.
func (f *fakeRuntime) snapshot() []Container {
	cs, _ := f.Containers(context.Background(), true)
	return cs
}

// exit ends container c's process with code: the engine deletes a container
// with AutoRemove, and tells whoever waits on its exit.
func (f *fakeRuntime) exit(c *Container, code int) {
	c.State = StateExited
	for _, ch := range f.exits[c.ID] {
		ch <- code
		close(ch)
	}
	delete(f.exits, c.ID)
	if c.AutoRemove {
		f.record("auto-remove %s", c.Name)
		delete(f.containers, c.ID)
	}
}

func (f *fakeRuntime) Containers(_ context.Context, all bool) ([]Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("list", "", nil); err != nil {
		return nil, err
	}
	var out []Container
	for _, c := range f.containers {
		if all || c.Up() {
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
	c := f.byName(idOrName)
	if err := f.injected("inspect", idOrName, c); err != nil {
		return Container{}, err
	}
	if c != nil {
		cc := *c
		cc.Labels = maps.Clone(c.Labels)
		return cc, nil
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

// create adds a created container named name; the name must be free.
func (f *fakeRuntime) create(c Container, name string) (string, error) {
	if o := f.byName(name); o != nil {
		return "", fmt.Errorf("conflict: the name %s is already in use by %s", name, o.ID)
	}
	f.nextID++
	c.ID, c.Name, c.State, c.RestartCount = fmt.Sprintf("new%061d", f.nextID), name, StateCreated, 0
	f.containers[c.ID] = &c
	return c.ID, nil
}

func (f *fakeRuntime) CreateReplacement(_ context.Context, old Container, r Replacement) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("create", old.Name, f.byName(old.ID)); err != nil {
		return "", err
	}
	f.active[old.Name]++
	if f.active[old.Name] > 1 {
		f.overlap.Store(true)
	}
	img := f.images[r.Image]
	c := old
	c.Image, c.ImageID = r.Image, img.ID
	c.Labels = maps.Clone(old.Labels)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	for k := range c.Labels {
		if strings.HasPrefix(k, SwapLabelPrefix) {
			delete(c.Labels, k)
		}
	}
	maps.Copy(c.Labels, r.Marks)
	c.Created = time.Now()
	id, err := f.create(c, r.Name)
	if err != nil {
		return "", err
	}
	f.record("create %s on %s", r.Name, r.Image)
	return id, nil
}

func (f *fakeRuntime) Define(_ context.Context, id string) (Definition, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if err := f.injected("define", id, c); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	return json.Marshal(c)
}

func (f *fakeRuntime) Rebuild(_ context.Context, def Definition, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("rebuild", name, nil); err != nil {
		return "", err
	}
	var c Container
	if err := json.Unmarshal(def, &c); err != nil {
		return "", err
	}
	if img, ok := f.images[c.Image]; ok {
		c.ImageID = img.ID
	}
	id, err := f.create(c, name)
	if err != nil {
		return "", err
	}
	f.record("rebuild %s on %s", name, c.ImageID)
	return id, nil
}

func (f *fakeRuntime) NextExit(_ context.Context, id string) (<-chan int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan int, 1)
	f.exits[id] = append(f.exits[id], ch)
	return ch, nil
}

func (f *fakeRuntime) Stop(_ context.Context, id, signal string, timeout time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if err := f.injected("stop", id, c); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	f.record("stop %s signal=%s timeout=%s", c.Name, signal, timeout)
	if c.Up() {
		f.exit(c, 0)
	}
	return nil
}

func (f *fakeRuntime) Start(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if err := f.injected("start", id, c); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	if c.Wrecked() {
		return fmt.Errorf("container %s is marked for removal and cannot be started", c.Name)
	}
	f.record("start %s", c.Name)
	c.State = StateRunning
	if st, ok := f.newState(c); ok {
		if st.State == StateExited {
			f.exit(c, st.ExitCode)
		} else {
			c.State = st.State
		}
	}
	return nil
}

// newState returns the state set for c's image, if c runs the image a pull
// of its reference brings.
func (f *fakeRuntime) newState(c *Container) (HealthState, bool) {
	st, ok := f.startState[c.Image]
	if !ok {
		if n, err := ParseReference(c.Image); err == nil {
			st, ok = f.startState[n.Normal]
		}
	}
	served, known := f.serves[c.Image]
	if !known {
		if n, err := ParseReference(c.Image); err == nil {
			served, known = f.serves[n.Normal]
		}
	}
	return st, ok && known && served.ID == c.ImageID
}

func (f *fakeRuntime) Restart(_ context.Context, id string, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	f.record("restart %s", c.Name)
	return nil
}

func (f *fakeRuntime) Pause(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if err := f.injected("pause", id, c); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	f.record("pause %s", c.Name)
	c.State = StatePaused
	return nil
}

func (f *fakeRuntime) Unpause(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if err := f.injected("unpause", id, c); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	if c.State != StatePaused {
		return fmt.Errorf("container %s is not paused", c.Name)
	}
	f.record("unpause %s", c.Name)
	c.State = StateRunning
	return nil
}

func (f *fakeRuntime) Rename(_ context.Context, id, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if err := f.injected("rename", id, c); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	if c.State == StateRestarting {
		// What the engine answers between two restarts.
		return fmt.Errorf("sandbox of %s: %w", c.Name, ErrNotFound)
	}
	if o := f.byName(name); o != nil && o != c {
		return fmt.Errorf("conflict: the name %s is already in use by %s", name, o.ID)
	}
	f.record("rename %s to %s", c.Name, name)
	c.Name = name
	return nil
}

func (f *fakeRuntime) Remove(_ context.Context, id string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if err := f.injected("remove", id, c); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	f.record("remove %s", c.Name)
	delete(f.containers, id)
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(c.Name, AsideSuffix), NewSuffix), RetiredSuffix)
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

func (f *fakeRuntime) Tag(_ context.Context, id, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("tag", ref, nil); err != nil {
		return err
	}
	img, ok := f.images[id]
	if !ok {
		return fmt.Errorf("image %q: %w", id, ErrNotFound)
	}
	f.record("tag %s as %s", id, ref)
	f.images[ref] = img
	return nil
}

func (f *fakeRuntime) Health(_ context.Context, id string) (HealthState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if err := f.injected("health", id, c); err != nil {
		return HealthState{}, err
	}
	if c == nil {
		return HealthState{}, fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	h := HealthState{State: c.State, RestartCount: c.RestartCount}
	if st, ok := f.newState(c); ok {
		h.ExitCode, h.Health = st.ExitCode, st.Health
	}
	return h, nil
}

func (f *fakeRuntime) Exec(_ context.Context, id string, cmd []string) (ExecResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return ExecResult{}, fmt.Errorf("container %q: %w", id, ErrNotFound)
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
	// auth is what Auth answers for every reference.
	auth Auth
}

// fakeCatalog is a fakeRegistry that also lists tags (by repository) and
// serves image configurations (by "repository@digest"), counting both.
type fakeCatalog struct {
	*fakeRegistry
	tags          map[string][]string
	tagErrs       map[string]error
	images        map[string]release.Image
	tagRequests   map[string]int
	imageRequests map[string]int
}

func newFakeCatalog(reg *fakeRegistry) *fakeCatalog {
	return &fakeCatalog{fakeRegistry: reg, tags: map[string][]string{}, tagErrs: map[string]error{}, images: map[string]release.Image{},
		tagRequests: map[string]int{}, imageRequests: map[string]int{}}
}

func (c *fakeCatalog) Tags(_ context.Context, ref string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	repo := repositoryOf(ref)
	c.tagRequests[repo]++
	if err := c.tagErrs[repo]; err != nil {
		return nil, err
	}
	return append([]string(nil), c.tags[repo]...), nil
}

func (c *fakeCatalog) Image(_ context.Context, ref string) (release.Image, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.imageRequests[ref]++
	repo, digest, _ := strings.Cut(ref, "@")
	if img, ok := c.images[repositoryOf(repo)+"@"+digest]; ok {
		return img, nil
	}
	return release.Image{}, fmt.Errorf("registry answered 404 Not Found")
}

// memSightings is an in-memory Sightings.
type memSightings struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (s *memSightings) Sighted(_ context.Context, keys []string, now time.Time) (map[string]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]time.Time{}
	}
	out := map[string]time.Time{}
	for _, k := range keys {
		if _, ok := s.m[k]; !ok {
			s.m[k] = now
		}
		out[k] = s.m[k]
	}
	return out, nil
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

func (r *fakeRegistry) Auth(context.Context, string) (Auth, error) { return r.auth, nil }

// memHolds is an in-memory Holds.
type memHolds struct {
	mu sync.Mutex
	m  map[string]Hold
}

func (m *memHolds) Hold(_ context.Context, h Hold) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]Hold{}
	}
	m.m[h.Container] = h
	return nil
}

func (m *memHolds) Release(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, name)
	return nil
}

func (m *memHolds) Held(context.Context) ([]Hold, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Hold
	for _, h := range m.m {
		out = append(out, h)
	}
	return out, nil
}

package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Prober polls every container's published port and records, per container,
// the longest gap between two answers within a window.
//
// A container counts as answering when GET /env?name=BENCH_NAME returns its
// own name, so a port the engine handed to another container meanwhile is
// not mistaken for it. Published ports without a fixed host port change when
// a container is restarted or recreated; the prober follows the engine's
// start events to learn the new one.
//
// A container is polled every Interval while it is in play: from the moment
// the engine reports a copy of it created (a copy carries its
// cutover.bench.name label), or it is killed or dies, or the bench is about
// to restart it, until settle after it starts again; and whenever it does not
// answer. Otherwise it is polled every IdleInterval, so that the polls of a
// hundred idle containers do not take the CPU that the engine needs. A
// slower poll can only lengthen a measured gap, never shorten it.
type Prober struct {
	api      *engineAPI
	interval time.Duration
	idle     time.Duration
	client   *http.Client

	targets map[string]*target
	cancel  context.CancelFunc
	done    sync.WaitGroup
	// events, when set, gets one line per engine event of a fleet
	// container, to tell afterwards what happened to a failed swap.
	events io.Writer
}

const (
	// benchNameEnv is set on every fleet container to its own name, and is
	// what the prober asks the app for.
	benchNameEnv = "BENCH_NAME"
	// nameLabel carries the same name as a label, which engine events
	// report and which copies of the container inherit.
	nameLabel = "cutover.bench.name"
	// settle is how long a container is still polled fast after it started.
	settle = 3 * time.Second
	// maxInPlay ends fast polling of a container whose copy was created but
	// never started.
	maxInPlay = 2 * time.Minute
)

type target struct {
	name string
	wake chan struct{}

	mu        sync.Mutex
	addr      string
	inPlay    time.Time // when it came into play; zero when not
	fastUntil time.Time
	open      bool // a window is open
	lastOK    time.Time
	maxGap    time.Duration
	foreign   int // answers from another container on its port
	moved     bool
	// seen holds when each engine event first happened to it in the
	// window, and answered when it first answered after its start.
	seen     map[string]time.Time
	answered time.Time
}

// Gap is one container's result for a window.
type Gap struct {
	Name string
	Max  time.Duration
	// Back is false when the container did not answer again before the
	// window closed; Max then runs to the close.
	Back bool
	// Foreign counts answers from another container on its old port.
	Foreign int
	// Moved tells that the container came back on another host port.
	Moved bool
	// Phases splits the swap or restart by the engine's events; a phase
	// whose events did not both happen is zero.
	Phases Phases
}

// NewProber returns a prober for the named containers: each is polled every
// interval while in play and every idle otherwise, with requests that time
// out after timeout. Engine events of the containers are logged to events
// unless it is nil.
func NewProber(api *engineAPI, names []string, interval, idle, timeout time.Duration, events io.Writer) *Prober {
	tr := &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true, IdleConnTimeout: 30 * time.Second}
	p := &Prober{
		api:      api,
		interval: interval,
		idle:     max(idle, interval),
		client:   &http.Client{Transport: tr, Timeout: timeout},
		targets:  map[string]*target{},
		events:   events,
	}
	for _, n := range names {
		p.targets[n] = &target{name: n, wake: make(chan struct{}, 1)}
	}
	return p
}

// Start looks up every port and polls until Stop.
func (p *Prober) Start(ctx context.Context) error {
	ctx, p.cancel = context.WithCancel(ctx)
	events, err := p.api.events(ctx, benchLabel)
	if err != nil {
		p.cancel()
		return err
	}
	for _, t := range p.targets {
		if err := p.resolve(ctx, t, t.name); err != nil {
			p.cancel()
			return err
		}
	}
	p.done.Go(func() { p.follow(ctx, events) })
	for _, t := range p.targets {
		p.done.Go(func() { p.poll(ctx, t) })
	}
	return nil
}

// Stop ends polling.
func (p *Prober) Stop() {
	p.cancel()
	p.done.Wait()
}

// Open starts a window: gaps are measured from now.
func (p *Prober) Open() {
	now := time.Now()
	for _, t := range p.targets {
		t.mu.Lock()
		t.open, t.lastOK, t.maxGap, t.foreign, t.moved = true, now, 0, 0, false
		t.seen, t.answered = map[string]time.Time{}, time.Time{}
		t.mu.Unlock()
	}
}

// Close ends the window and returns each container's longest gap; a
// container that has not answered lately counts up to now.
func (p *Prober) Close() []Gap { return p.close(nil) }

// CloseOnly is Close for the named containers only.
func (p *Prober) CloseOnly(names ...string) []Gap { return p.close(names) }

func (p *Prober) close(only []string) []Gap {
	now := time.Now()
	var out []Gap
	for _, t := range p.targets {
		t.mu.Lock()
		g := Gap{Name: t.name, Max: t.maxGap, Back: true, Foreign: t.foreign, Moved: t.moved, Phases: t.phases()}
		if since := now.Sub(t.lastOK); since > 2*p.idle+p.client.Timeout && since > g.Max {
			g.Max, g.Back = since, false
		}
		t.open = false
		t.mu.Unlock()
		if only == nil || slices.Contains(only, t.name) {
			out = append(out, g)
		}
	}
	return out
}

// InPlay polls the named container fast from now until it has started again,
// as before the bench restarts it.
func (p *Prober) InPlay(name string) {
	if t := p.targets[name]; t != nil {
		p.markInPlay(t)
	}
}

// FastFor polls the named containers fast for d, to measure the prober's
// own noise in the conditions of a swap.
func (p *Prober) FastFor(d time.Duration, names ...string) {
	until := time.Now().Add(d)
	for _, n := range names {
		if t := p.targets[n]; t != nil {
			t.mu.Lock()
			t.fastUntil = until
			t.mu.Unlock()
			wake(t)
		}
	}
}

// WaitAnswering waits until every container has answered since after, or
// ctx ends; it returns the names still silent.
func (p *Prober) WaitAnswering(ctx context.Context, after time.Time) []string {
	for {
		var silent []string
		for _, t := range p.targets {
			t.mu.Lock()
			if !t.lastOK.After(after) {
				silent = append(silent, t.name)
			}
			t.mu.Unlock()
		}
		if len(silent) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return silent
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (p *Prober) poll(ctx context.Context, t *target) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		began := time.Now()
		t.mu.Lock()
		addr := t.addr
		t.mu.Unlock()
		ok := false
		if addr != "" {
			var foreign bool
			ok, foreign = p.ask(ctx, addr, t.name)
			p.record(t, ok, foreign)
		}
		next := began.Add(p.delay(t, ok))
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		case <-timer.C:
		}
	}
}

func (p *Prober) record(t *target, ok, foreign bool) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case ok:
		if t.open {
			t.maxGap = max(t.maxGap, now.Sub(t.lastOK))
			if _, started := t.seen["start"]; started && t.answered.IsZero() {
				t.answered = now
			}
		}
		t.lastOK = now
	case foreign && t.open:
		t.foreign++
	}
}

// delay is the pause before the next poll of t.
func (p *Prober) delay(t *target, ok bool) time.Duration {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	inPlay := !t.inPlay.IsZero() && now.Sub(t.inPlay) < maxInPlay
	if !ok || inPlay || now.Before(t.fastUntil) {
		return p.interval
	}
	return p.idle
}

// ask reports whether the container answers on addr, and whether another
// one did instead.
func (p *Prober) ask(ctx context.Context, addr, name string) (ok, foreign bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/env?name="+benchNameEnv, nil)
	if err != nil {
		return false, false
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return false, false
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return false, false
	}
	got := strings.TrimSpace(string(body))
	return got == name, got != name
}

// follow puts containers in play as the engine reports copies created,
// stops and starts, and learns the port of every container started.
func (p *Prober) follow(ctx context.Context, events <-chan containerEvent) {
	for ev := range events {
		t := p.targets[ev.Attributes[nameLabel]]
		if t == nil {
			continue
		}
		if p.events != nil {
			fmt.Fprintf(p.events, "%s %-7s %.12s %s %s\n", ev.Time.UTC().Format("15:04:05.000"), ev.Action, ev.ID,
				ev.Attributes["name"], ev.Attributes["signal"]+ev.Attributes["exitCode"])
		}
		p.saw(t, ev)
		switch ev.Action {
		case "create", "kill", "die":
			p.markInPlay(t)
		case "start":
			if ci, err := p.api.inspect(ctx, ev.ID); err == nil {
				p.setAddr(t, ci.hostAddr("8000/tcp"))
			}
			t.mu.Lock()
			t.inPlay = time.Time{}
			t.fastUntil = time.Now().Add(settle)
			t.mu.Unlock()
			wake(t)
		}
	}
}

func (p *Prober) markInPlay(t *target) {
	t.mu.Lock()
	t.inPlay = time.Now()
	t.mu.Unlock()
	wake(t)
}

// wake cuts t's pause short, so a change of pace takes effect at once.
func wake(t *target) {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (p *Prober) resolve(ctx context.Context, t *target, idOrName string) error {
	ci, err := p.api.inspect(ctx, idOrName)
	if err != nil {
		return err
	}
	if ci.Name == t.name {
		p.setAddr(t, ci.hostAddr("8000/tcp"))
	}
	return nil
}

func (p *Prober) setAddr(t *target, addr string) {
	if addr == "" {
		return
	}
	t.mu.Lock()
	if t.open && t.addr != "" && t.addr != addr {
		t.moved = true
	}
	t.addr = addr
	t.mu.Unlock()
	wake(t)
}

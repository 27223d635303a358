package bench

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Prober polls every container's published port and records, per container,
// the longest gap between two answers within a window. A container counts as
// answering when GET /env?name=BENCH_NAME returns its own name, so a port
// that the engine handed to another container meanwhile is not mistaken for
// it. Published ports without a fixed host port change when a container is
// recreated; the prober follows the engine's start events to learn the new
// one.
type Prober struct {
	api      *engineAPI
	interval time.Duration
	client   *http.Client

	targets map[string]*target
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

type target struct {
	name string

	mu       sync.Mutex
	addr     string
	open     bool // a window is open
	lastOK   time.Time
	maxGap   time.Duration
	answered int // answers within the window
	foreign  int // answers from another container on this port
	moved    bool
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
}

// benchNameEnv is set on every bench container to its own name, and is what
// the prober asks the app for.
const benchNameEnv = "BENCH_NAME"

// NewProber returns a prober for the named containers, polling each every
// interval with requests that time out after timeout.
func NewProber(api *engineAPI, names []string, interval, timeout time.Duration) *Prober {
	tr := &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true, IdleConnTimeout: 30 * time.Second}
	p := &Prober{
		api:      api,
		interval: interval,
		client:   &http.Client{Transport: tr, Timeout: timeout},
		targets:  map[string]*target{},
	}
	for _, n := range names {
		p.targets[n] = &target{name: n}
	}
	return p
}

// Start looks up every port, waits until every container answers (or ctx
// ends), and polls until Stop.
func (p *Prober) Start(ctx context.Context) error {
	ctx, p.cancel = context.WithCancel(ctx)
	events, err := p.api.starts(ctx, benchLabel)
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
		t.open, t.lastOK, t.maxGap, t.answered, t.foreign, t.moved = true, now, 0, 0, 0, false
		t.mu.Unlock()
	}
}

// Close ends the window and returns each container's longest gap; a
// container that has not answered since its last gap began counts up to now.
func (p *Prober) Close() []Gap {
	now := time.Now()
	var out []Gap
	for _, t := range p.targets {
		t.mu.Lock()
		g := Gap{Name: t.name, Max: t.maxGap, Back: true, Foreign: t.foreign, Moved: t.moved}
		if since := now.Sub(t.lastOK); since > 4*p.interval+p.client.Timeout && since > g.Max {
			g.Max, g.Back = since, false
		}
		t.open = false
		t.mu.Unlock()
		out = append(out, g)
	}
	return out
}

// WaitAnswering waits until every container has answered within the open
// window since at least after, or ctx ends; it returns the names still
// silent.
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
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		t.mu.Lock()
		addr := t.addr
		t.mu.Unlock()
		if addr != "" {
			ok, foreign := p.ask(ctx, addr, t.name)
			now := time.Now()
			t.mu.Lock()
			if ok {
				if t.open {
					if gap := now.Sub(t.lastOK); gap > t.maxGap {
						t.maxGap = gap
					}
					t.answered++
				}
				t.lastOK = now
			} else if foreign && t.open {
				t.foreign++
			}
			t.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
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

// follow updates a container's address whenever the engine starts a bench
// container: a restart or a swap may publish on another port.
func (p *Prober) follow(ctx context.Context, events <-chan startEvent) {
	for ev := range events {
		if t := p.targets[ev.Name]; t != nil {
			_ = p.resolve(ctx, t, ev.ID)
			continue
		}
		// A swap starts the new container under its final name, but the
		// event may name it by a temporary one; inspect to be sure.
		if ci, err := p.api.inspect(ctx, ev.ID); err == nil {
			if t := p.targets[ci.Name]; t != nil {
				p.setAddr(t, ci.hostAddr("8000/tcp"))
			}
		}
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
}

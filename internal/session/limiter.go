package session

import (
	"sync"
	"time"
)

// Limiter blocks a client after too many failed logins: Max failures within
// Window block it for Block.
type Limiter struct {
	Max    int
	Window time.Duration
	Block  time.Duration
	now    func() time.Time

	mu      sync.Mutex
	clients map[string]*attempts
}

type attempts struct {
	failures []time.Time
	until    time.Time
}

// NewLimiter returns a limiter allowing 5 failures a minute, then blocking
// for 30 seconds. now may be nil for time.Now.
func NewLimiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{Max: 5, Window: time.Minute, Block: 30 * time.Second, now: now, clients: map[string]*attempts{}}
}

// Allow reports whether client may try to log in, and if not, for how long
// it must wait.
func (l *Limiter) Allow(client string) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.clients[client]
	if a == nil {
		return 0, true
	}
	if now := l.now(); now.Before(a.until) {
		return a.until.Sub(now), false
	}
	return 0, true
}

// Fail records a failed login of client.
func (l *Limiter) Fail(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.clients) >= 1024 {
		l.forgetOld(now)
	}
	a := l.clients[client]
	if a == nil {
		a = &attempts{}
		l.clients[client] = a
	}
	a.failures = append(recent(a.failures, now.Add(-l.Window)), now)
	if len(a.failures) >= l.Max {
		a.until, a.failures = now.Add(l.Block), nil
	}
}

// Succeed forgets client's failures.
func (l *Limiter) Succeed(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.clients, client)
}

func recent(ts []time.Time, since time.Time) []time.Time {
	out := ts[:0]
	for _, t := range ts {
		if t.After(since) {
			out = append(out, t)
		}
	}
	return out
}

// forgetOld drops clients that are neither blocked nor have recent failures,
// so a scan from many addresses does not grow the map for ever.
func (l *Limiter) forgetOld(now time.Time) {
	for c, a := range l.clients {
		if now.After(a.until) && len(recent(a.failures, now.Add(-l.Window))) == 0 {
			delete(l.clients, c)
		}
	}
}

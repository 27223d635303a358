package engine

import (
	"context"
	"fmt"
	"sync"
)

// selfCache remembers the container this process runs in once Options.FindSelf
// has told it; until then every swap asks again, so a process that started
// before its engine answered still recognises its own container later.
type selfCache struct {
	mu    sync.Mutex
	known bool
	id    string
}

// selfID returns the id of this process's container, "" when it runs on a
// host, or an error when that is not known yet.
func (e *Engine) selfID(ctx context.Context) (string, error) {
	if e.opts.FindSelf == nil {
		return "", nil
	}
	e.self.mu.Lock()
	defer e.self.mu.Unlock()
	if e.self.known {
		return e.self.id, nil
	}
	id, err := e.opts.FindSelf(ctx)
	if err != nil {
		return "", err
	}
	e.self.known, e.self.id = true, id
	return id, nil
}

// isSelf reports whether c is the container this process runs in.
func (e *Engine) isSelf(ctx context.Context, c Container) (bool, error) {
	id, err := e.selfID(ctx)
	if err != nil {
		return false, fmt.Errorf("cannot tell whether %s is the container cutover runs in: %w", c.Name, err)
	}
	return id != "" && id == c.ID, nil
}

// Conduits is the part of a runtime that can tell which containers carry
// cutover's own connection to the engine (a socket proxy on DOCKER_HOST).
type Conduits interface {
	// Conduits returns their ids, none when the engine is reached directly.
	Conduits(ctx context.Context) ([]string, error)
}

// conduit says why c must not be swapped because cutover reaches the engine
// through it, "" when it does not. Stopping it would cut the connection the
// swap and its rollback need, and leave the container stopped and renamed
// aside with nothing to bring it back. An engine that cannot say is an
// error: the swap does not go ahead on a guess.
func (e *Engine) conduit(ctx context.Context, c Container) (string, error) {
	if e.conduits == nil {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.CallTimeout)
	defer cancel()
	ids, err := e.conduits.Conduits(ctx)
	if err != nil {
		return "", fmt.Errorf("cannot tell whether cutover reaches the engine through %s: %w", c.Name, err)
	}
	for _, id := range ids {
		if id == c.ID {
			return "cutover reaches the Docker engine through it: stopping it would cut cutover off mid-swap; update it by hand", nil
		}
	}
	return "", nil
}

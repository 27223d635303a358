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

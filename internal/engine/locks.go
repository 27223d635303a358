package engine

import (
	"context"
	"sync"
)

// keyedMutex serialises work per key (a container name) in arrival order,
// without keeping anything for keys nobody uses.
type keyedMutex struct {
	mu     sync.Mutex
	queues map[string][]chan struct{}
}

// lock blocks until every earlier holder of key is done, or ctx ends; the
// returned func releases it.
func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	return k.queue(key)(ctx)
}

// queue takes a place in key's queue at once and returns the wait for its
// turn, so a caller can say it is queued before it waits.
func (k *keyedMutex) queue(key string) func(context.Context) (func(), error) {
	turn := make(chan struct{})
	k.mu.Lock()
	if k.queues == nil {
		k.queues = map[string][]chan struct{}{}
	}
	q := append(k.queues[key], turn)
	k.queues[key] = q
	if len(q) == 1 {
		close(turn)
	}
	k.mu.Unlock()

	return func(ctx context.Context) (func(), error) {
		select {
		case <-turn:
			return func() { k.leave(key, turn) }, nil
		case <-ctx.Done():
			k.leave(key, turn)
			return nil, ctx.Err()
		}
	}
}

// leave takes turn out of key's queue and, when it was first, lets the next
// one in.
func (k *keyedMutex) leave(key string, turn chan struct{}) {
	k.mu.Lock()
	defer k.mu.Unlock()
	q := k.queues[key]
	for i, t := range q {
		if t != turn {
			continue
		}
		q = append(q[:i:i], q[i+1:]...)
		if i == 0 && len(q) > 0 {
			close(q[0])
		}
		break
	}
	if len(q) == 0 {
		delete(k.queues, key)
	} else {
		k.queues[key] = q
	}
}

// held reports whether somebody holds or awaits key.
func (k *keyedMutex) held(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.queues[key]) > 0
}

// tryLock takes key only if nobody holds or awaits it.
func (k *keyedMutex) tryLock(key string) (func(), bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.queues[key]) > 0 {
		return nil, false
	}
	if k.queues == nil {
		k.queues = map[string][]chan struct{}{}
	}
	turn := make(chan struct{})
	close(turn)
	k.queues[key] = []chan struct{}{turn}
	return func() { k.leave(key, turn) }, true
}

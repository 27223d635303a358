package docker

import (
	"context"
	"time"

	"github.com/moby/moby/client"
)

// Changes signals, without blocking, whenever a container is created,
// started, stopped, renamed or removed, so status views can follow within
// seconds. It reconnects when the event stream breaks (the engine
// restarted), until ctx ends.
func (r *Runtime) Changes(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go func() {
		for ctx.Err() == nil {
			r.follow(ctx, signal)
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
			// Whatever happened while the stream was down is unknown.
			signal()
		}
	}()
	return out
}

func (r *Runtime) follow(ctx context.Context, signal func()) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := make(client.Filters).Add("type", "container")
	for _, a := range []string{"create", "start", "die", "stop", "rename", "destroy"} {
		f = f.Add("event", a)
	}
	res := r.cli.Events(ctx, client.EventsListOptions{Filters: f})
	for {
		select {
		case <-res.Messages:
			signal()
		case <-res.Err:
			return
		case <-ctx.Done():
			return
		}
	}
}

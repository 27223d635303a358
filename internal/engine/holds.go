package engine

import (
	"context"
	"time"
)

// Hold is a version of a container's image that is not applied again: one
// that was rolled back, or that a person chose to skip. It lasts until a
// newer version appears or a person asks for the container's update.
type Hold struct {
	// Host names the engine, among several, of the container (Options.Host).
	Host      string
	Container string
	// Image is the reference the held version was offered for.
	Image string
	// Digest is the held version.
	Digest string
	// Version is the held version as people say it (Offer.Version).
	Version string
	// Reason says why, for people: "rolled back: new container exited ...",
	// "skipped by admin".
	Reason string
	// By names who skipped the version; "" for a hold cutover made itself
	// after a rollback.
	By    string
	Since time.Time
}

// Holds keeps holds in durable storage, one per container.
type Holds interface {
	Hold(ctx context.Context, h Hold) error
	Release(ctx context.Context, container string) error
	Held(ctx context.Context) ([]Hold, error)
}

// hold keeps a rolled-back version from being tried again at every pass.
func (e *Engine) hold(ctx context.Context, c Container, o Outcome, cause error) {
	if e.opts.Holds == nil || o.NewDigest == "" {
		return
	}
	h := Hold{Host: e.opts.Host, Container: c.Name, Image: o.Image, Digest: o.NewDigest, Version: o.NewVersion, Reason: "rolled back: " + cause.Error(), Since: e.opts.Now()}
	if err := e.opts.Holds.Hold(context.WithoutCancel(ctx), h); err != nil {
		e.log.Warn("cannot hold the rolled-back version; it will be tried again", "container", c.Name, "err", err)
	}
}

// release forgets a container's hold once it was updated.
func (e *Engine) release(ctx context.Context, name string) {
	if e.opts.Holds == nil {
		return
	}
	if err := e.opts.Holds.Release(context.WithoutCancel(ctx), name); err != nil {
		e.log.Warn("cannot clear the container's held version", "container", name, "err", err)
	}
}

// holds returns the holds by container name; a store that fails is read as
// holding nothing, and said so.
func (e *Engine) holds(ctx context.Context) map[string]Hold {
	out := map[string]Hold{}
	if e.opts.Holds == nil {
		return out
	}
	hs, err := e.opts.Holds.Held(ctx)
	if err != nil {
		e.log.Warn("cannot read held versions", "err", err)
		return out
	}
	for _, h := range hs {
		h.Host = e.opts.Host
		out[h.Container] = h
	}
	return out
}

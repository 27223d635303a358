package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNoOffer is a request about the offered version of a container that
// has none.
var ErrNoOffer = errors.New("no newer version is offered")

// ErrNoHolds is a skip asked of an engine without a store for holds.
var ErrNoHolds = errors.New("skipped versions cannot be kept: no store")

// Skip holds the version offered to a container, as a person asked: no
// pass applies it until a newer version is offered, the skip is undone,
// or an update of the container is asked for by name. cs is the
// container's status as the person saw it; by says who, for people.
func (e *Engine) Skip(ctx context.Context, cs ContainerStatus, by string) (Hold, error) {
	if e.opts.Holds == nil {
		return Hold{}, ErrNoHolds
	}
	o := cs.Offer
	if o == nil {
		return Hold{}, fmt.Errorf("container '%s': %w", cs.Container.Name, ErrNoOffer)
	}
	by = strings.TrimSpace(by)
	if by == "" {
		by = "someone"
	}
	h := Hold{
		Host: e.opts.Host, Container: cs.Container.Name, Image: o.Reference, Digest: o.Digest, Version: o.Version,
		Reason: "skipped by " + by, By: by, Since: e.opts.Now(),
	}
	if err := e.opts.Holds.Hold(ctx, h); err != nil {
		return Hold{}, fmt.Errorf("cannot keep the skip: %w", err)
	}
	e.log.Info("version skipped", "container", h.Container, "image", h.Image, "version", h.Version, "by", by)
	return h, nil
}

// Unskip releases a container's hold, a person's skip or a hold after a
// rollback alike: the next pass may apply the version offered.
func (e *Engine) Unskip(ctx context.Context, name string) error {
	if e.opts.Holds == nil {
		return ErrNoHolds
	}
	if err := e.opts.Holds.Release(ctx, name); err != nil {
		return fmt.Errorf("cannot undo the skip: %w", err)
	}
	e.log.Info("held version released", "container", name)
	return nil
}

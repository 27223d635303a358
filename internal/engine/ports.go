package engine

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by a Runtime when a container or image does not exist.
var ErrNotFound = errors.New("not found")

// ErrNoProbe is returned by Runtime.Probe when the container's healthcheck
// cannot be run from outside (no healthcheck, or no shell for CMD-SHELL).
var ErrNoProbe = errors.New("healthcheck cannot be probed")

// Runtime is the container engine as the update engine needs it.
type Runtime interface {
	// Containers lists containers; all includes stopped ones.
	Containers(ctx context.Context, all bool) ([]Container, error)
	// Container inspects one container by id or name.
	Container(ctx context.Context, idOrName string) (Container, error)
	// Image inspects one local image by reference or id.
	Image(ctx context.Context, ref string) (Image, error)
	// Pull pulls ref, reporting progress as it goes.
	Pull(ctx context.Context, ref string, auth Auth, progress func(PullProgress)) error
	// CreateReplacement creates, without starting it, a container named name
	// on image that carries every setting the user gave old, with old's image
	// defaults replaced by image's. Labels under SwapLabelPrefix are not
	// carried over; marks are added instead.
	CreateReplacement(ctx context.Context, old Container, image, name string, marks map[string]string) (string, error)
	Stop(ctx context.Context, id, signal string, timeout time.Duration) error
	Start(ctx context.Context, id string) error
	Restart(ctx context.Context, id string, timeout time.Duration) error
	Rename(ctx context.Context, id, name string) error
	Remove(ctx context.Context, id string, removeVolumes bool) error
	RemoveImage(ctx context.Context, id string) error
	Health(ctx context.Context, id string) (HealthState, error)
	// Probe runs the container's own healthcheck once, now.
	Probe(ctx context.Context, id string) (ProbeResult, error)
	// Exec runs cmd inside the running container id.
	Exec(ctx context.Context, id string, cmd []string) (ExecResult, error)
}

// Registry answers what a tag points to now, and which credentials to pull with.
type Registry interface {
	// Digest returns the manifest digest ref currently points to, with one
	// manifest request.
	Digest(ctx context.Context, ref string) (string, error)
	// Auth returns the credentials configured for ref's registry.
	Auth(ctx context.Context, ref string) (Auth, error)
}

// Expecter is a Registry that prepares for the references a check is about
// to ask for, such as to authenticate once for all of a registry's
// repositories. Optional.
type Expecter interface {
	Expect(refs []string)
}

// History records update attempts.
type History interface {
	RecordAttempt(ctx context.Context, a Attempt) error
}

// Sink receives what happens during a pass, as it happens.
type Sink interface {
	Emit(Event)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

// Emit calls f.
func (f SinkFunc) Emit(e Event) { f(e) }

// Attempt is the record of one update attempt of one container.
type Attempt struct {
	Time      time.Time
	Container string
	Image     string
	OldDigest string
	NewDigest string
	Result    Result
	Error     string
	Duration  time.Duration
}

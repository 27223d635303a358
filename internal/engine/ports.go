package engine

import (
	"context"
	"errors"
	"time"

	"github.com/cutover/cutover/internal/release"
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
	// CreateReplacement creates, without starting it, a container that
	// carries every setting the user gave old, on r.Image, with old's image
	// defaults replaced by the new image's. Labels under SwapLabelPrefix are
	// not carried over; r.Marks are added instead.
	CreateReplacement(ctx context.Context, old Container, r Replacement) (string, error)
	// Define describes how to create container id again as it is, on the
	// image it runs: what a swap journals before it stops a container, so
	// that the container can be rebuilt when the engine has deleted it.
	Define(ctx context.Context, id string) (Definition, error)
	// Rebuild creates, without starting it, a container named name from a
	// definition Define returned.
	Rebuild(ctx context.Context, def Definition, name string) (string, error)
	// NextExit reports, on the returned channel, the exit code of the
	// container's next exit, even when the engine removes it right after
	// (AutoRemove). Called before Start, it sees a crash at start.
	NextExit(ctx context.Context, id string) (<-chan int, error)
	Stop(ctx context.Context, id, signal string, timeout time.Duration) error
	Start(ctx context.Context, id string) error
	Restart(ctx context.Context, id string, timeout time.Duration) error
	Pause(ctx context.Context, id string) error
	Unpause(ctx context.Context, id string) error
	Rename(ctx context.Context, id, name string) error
	Remove(ctx context.Context, id string, removeVolumes bool) error
	RemoveImage(ctx context.Context, id string) error
	// Tag points the local tag ref at image id.
	Tag(ctx context.Context, id, ref string) error
	Health(ctx context.Context, id string) (HealthState, error)
	// Probe runs the container's own healthcheck once, now.
	Probe(ctx context.Context, id string) (ProbeResult, error)
	// Exec runs cmd inside the running container id.
	Exec(ctx context.Context, id string, cmd []string) (ExecResult, error)
}

// Replacement says what CreateReplacement makes.
type Replacement struct {
	// Image is the reference the new container runs, as its Config keeps it.
	Image string
	// Name is the new container's name.
	Name string
	// Marks are labels added to the new container.
	Marks map[string]string
	// FreshVolumes gives the new container new anonymous volumes, holding
	// the new image's content, instead of the old container's.
	FreshVolumes bool
}

// Definition is a runtime's own description of a container, opaque to the
// engine, which only keeps it in the journal and hands it back to Rebuild.
type Definition []byte

// Registry answers what a tag points to now, and which credentials to pull with.
type Registry interface {
	// Digest returns the manifest digest ref currently points to, with one
	// manifest request.
	Digest(ctx context.Context, ref string) (string, error)
	// Auth returns the credentials configured for ref's registry.
	Auth(ctx context.Context, ref string) (Auth, error)
}

// Catalog is a Registry that can also list a repository's tags and read
// an image's configuration: what tag policies, and telling what an offered
// version is, need. Optional: without it every container follows the
// digest of its own tag, and offers carry no version label, build time or
// release notes.
type Catalog interface {
	// Tags lists the tags of ref's repository (a tag in ref is ignored).
	Tags(ctx context.Context, ref string) ([]string, error)
	// Image reads the configuration of the image ref names
	// ("repo@sha256:..." for an offered version).
	Image(ctx context.Context, ref string) (release.Image, error)
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
	Time time.Time
	// Host names the engine, among several, of the container (Options.Host).
	Host      string
	Container string
	Image     string
	OldDigest string
	NewDigest string
	Result    Result
	Error     string
	Duration  time.Duration
	// Unit is the atomic unit (Compose project) the container was updated
	// with, "" when it went alone.
	Unit string
}

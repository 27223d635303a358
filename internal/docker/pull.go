package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/cutover/cutover/internal/engine"
)

// pullMessage is one message of the engine's pull stream. Engines send a
// failure as "error" and, since long, "errorDetail" too.
type pullMessage struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Progress *struct {
		Current int64 `json:"current"`
		Total   int64 `json:"total"`
	} `json:"progressDetail"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// Pull pulls ref with auth (none when empty), calling progress, if not nil,
// for each progress report. A failure the engine reports in the stream
// ("manifest unknown", "unauthorized: ...") is returned with its message
// unchanged.
func (r *Runtime) Pull(ctx context.Context, ref string, auth engine.Auth, progress func(engine.PullProgress)) error {
	var opts client.ImagePullOptions
	if !auth.Empty() {
		enc, err := encodeAuth(auth)
		if err != nil {
			return fmt.Errorf("pull %s: %w", ref, err)
		}
		opts.RegistryAuth = enc
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stream, err := r.cli.ImagePull(ctx, ref, opts)
	if err != nil {
		return err
	}
	defer stream.Close()
	// The transport ends the body when ctx is done; closing it too makes
	// sure a decoder blocked on a silent engine returns.
	stop := context.AfterFunc(ctx, func() { stream.Close() })
	defer stop()
	// A pull whose stream goes silent (a registry that stopped sending, a
	// wedged engine) is given up, however long it has run so far.
	stall := r.pullStall()
	stalled := time.AfterFunc(stall, func() {
		cancel(fmt.Errorf("pull %s: no progress for %s", ref, stall))
	})
	defer stalled.Stop()
	err = readPull(ctx, stream, func() { stalled.Reset(stall) }, progress)
	if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// encodeAuth writes credentials the way the engine reads them in its
// X-Registry-Auth header.
func encodeAuth(auth engine.Auth) (string, error) {
	return authconfig.Encode(registry.AuthConfig{
		Username:      auth.Username,
		Password:      auth.Password,
		ServerAddress: auth.ServerAddress,
		IdentityToken: auth.IdentityToken,
		RegistryToken: auth.RegistryToken,
	})
}

// defaultPullStall is how long a pull may go without a message from the
// engine before it is given up.
const defaultPullStall = 2 * time.Minute

func (r *Runtime) pullStall() time.Duration {
	if r.PullStall > 0 {
		return r.PullStall
	}
	return defaultPullStall
}

// readPull decodes a pull stream to its end, calling heard for every message
// and progress for each progress report.
func readPull(ctx context.Context, stream io.Reader, heard func(), progress func(engine.PullProgress)) error {
	dec := json.NewDecoder(stream)
	for {
		var m pullMessage
		if err := dec.Decode(&m); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("reading pull progress: %w", err)
		}
		switch {
		case m.ErrorDetail != nil && m.ErrorDetail.Message != "":
			return errors.New(m.ErrorDetail.Message)
		case m.Error != "":
			return errors.New(m.Error)
		}
		heard()
		if m.Progress != nil && progress != nil {
			progress(engine.PullProgress{
				Layer:   m.ID,
				Status:  m.Status,
				Current: m.Progress.Current,
				Total:   m.Progress.Total,
			})
		}
	}
}

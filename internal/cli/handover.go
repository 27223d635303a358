package cli

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/engine"
)

// handOverGrace is how long a self-update's one-shot container waits
// before it stops the instance that started it.
const handOverGrace = 2 * time.Second

// newHandoverCmd is what a self-update's one-shot container runs: recreate
// the instance that started it on the new image, like a deploy. It is not
// for people, so it is hidden.
func newHandoverCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:    "handover NAME IMAGE",
		Hidden: true,
		Args:   cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(cmd.ErrOrStderr(), slog.LevelInfo)
			if err != nil {
				return err
			}
			a, err := g.open(cmd.Context(), wiring{log: log, withStore: true})
			if err != nil {
				return err
			}
			defer a.Close()
			// The instance that handed over answers its caller first: that
			// answer goes out through the engine's port proxy, which stops
			// with the instance, and a loaded machine can be slow to send it.
			select {
			case <-cmd.Context().Done():
				return cmd.Context().Err()
			case <-time.After(handOverGrace):
			}
			out, err := a.engine.Deploy(cmd.Context(), engine.DeployRequest{Container: args[0], Image: args[1]}, nil)
			if err != nil {
				return err
			}
			if out.Result != engine.ResultUpdated && out.Result != engine.ResultFresh {
				return &ExitError{Code: ExitFailed, Err: fmt.Errorf("self-update of %s: %s: %v", args[0], out.Result, out.Err)}
			}
			log.Info("self-update done", "container", args[0], "image", args[1], "result", out.Result)
			return nil
		},
	}
}

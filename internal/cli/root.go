package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// ExitError carries the exit code a failure maps to.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Exit codes.
const (
	ExitFailed      = 1 // an update failed, or the command did
	ExitUnreachable = 2 // the Docker engine did not answer
)

// Run runs the command line with args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "cutover:", err)
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailed
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "cutover [NAME...]",
		Short: "Keep Docker containers on their newest images, safely",
		Long: `Keep Docker containers on their newest images, safely.

Run with flags and no command, cutover runs serve, as Watchtower's image ran:
Watchtower's flags (also those not listed here, such as --notifications and
the --notification-email-*, -slack-*, -msteams-* and -gotify-* settings) and
its WATCHTOWER_* variables are read. docs/configuration.md lists them all.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	g.addFlags(root)
	// Watchtower's image is run with flags and no subcommand: so is cutover.
	o := &serveOptions{}
	o.addFlags(root.Flags())
	root.Args = cobra.ArbitraryArgs
	root.RunE = func(cmd *cobra.Command, names []string) error { return runServe(cmd, g, o, names) }
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		// Watchtower's HEALTHCHECK must pass whatever else is configured.
		if hc := cmd.Flags().Lookup("health-check"); hc != nil && hc.Changed {
			return nil
		}
		var err error
		if g.env, err = applyEnv(cmd.Flags()); err != nil {
			return err
		}
		return applyImageWatchEnv(cmd.Flags())
	}
	root.AddCommand(newCheckCmd(g), newUpdateCmd(g), newServeCmd(g), newAPIKeyCmd(g), newRecoverCmd(g), newHandoverCmd(g),
		newVersionCmd(g), newHealthcheckCmd(), newNotifyUpgradeCmd(g))
	return root
}

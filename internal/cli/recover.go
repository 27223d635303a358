package cli

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"
)

func newRecoverCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "recover [NAME...]",
		Short: "Finish or undo swaps an interrupted run left behind (every other command does this first)",
		RunE: func(cmd *cobra.Command, names []string) error {
			log, err := g.logger(cmd.ErrOrStderr(), slog.LevelWarn)
			if err != nil {
				return err
			}
			a, err := g.open(cmd.Context(), wiring{log: log, withStore: true, tune: claimNames(names)})
			if err != nil {
				return err
			}
			defer a.Close()
			rep, err := a.fleet.Recover(cmd.Context())
			for _, n := range rep.Kept {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: kept the new container\n", n)
			}
			for _, n := range rep.RolledBack {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: the old container serves again\n", n)
			}
			if err != nil {
				return err
			}
			if len(rep.Kept)+len(rep.RolledBack) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "nothing to recover")
			}
			return nil
		},
	}
}

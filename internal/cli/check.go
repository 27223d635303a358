package cli

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/engine"
)

func newCheckCmd(g *globalOptions) *cobra.Command {
	var asJSON bool
	var versions policyOptions
	cmd := &cobra.Command{
		Use:   "check [NAME...]",
		Short: "List running containers by image, the version each runs and the one it is offered; changes no container",
		RunE: func(cmd *cobra.Command, names []string) error {
			log, err := g.logger(cmd.ErrOrStderr(), slog.LevelWarn)
			if err != nil {
				return err
			}
			a, err := g.open(cmd.Context(), wiring{log: log, readStore: true, policy: &versions})
			if err != nil {
				return err
			}
			defer a.Close()
			report, err := a.engine.Check(cmd.Context(), engine.CheckOptions{Names: names})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), reportJSON(report))
			}
			writeReportTable(cmd.OutOrStdout(), report, g.color(cmd.OutOrStdout()))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	versions.addFlags(cmd.Flags())
	return cmd
}

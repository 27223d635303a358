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
			report, err := a.fleet.Check(cmd.Context(), engine.CheckOptions{Names: names})
			if err != nil {
				return a.checkFailed(err)
			}
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), reportJSON(report)); err != nil {
					return err
				}
				return downEngines(report.Hosts)
			}
			writeReportTable(cmd.OutOrStdout(), report, g.color(cmd.OutOrStdout()))
			return downEngines(report.Hosts)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	versions.addFlags(cmd.Flags())
	return cmd
}

package cli

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/engine"
)

func newUpdateCmd(g *globalOptions) *cobra.Command {
	var dryRun, cleanup, force bool
	var versions policyOptions
	cmd := &cobra.Command{
		Use:   "update [NAME...]",
		Short: "Update the outdated containers among those named (default: all not excluded by label)",
		RunE: func(cmd *cobra.Command, names []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			log, err := g.logger(cmd.ErrOrStderr(), slog.LevelWarn)
			if err != nil {
				return err
			}
			a, err := g.open(ctx, wiring{log: log, withStore: !dryRun, readStore: dryRun, policy: &versions, tune: claimNames(names)})
			if err != nil {
				return err
			}
			defer a.Close()
			if !dryRun {
				// A swap that cannot be settled now is retried next time; it
				// does not stop the update asked for.
				if err := a.recoverSwaps(ctx); err != nil {
					log.Warn(err.Error())
				}
			}
			report, err := a.fleet.Check(ctx, engine.CheckOptions{Names: names})
			if err != nil {
				return a.checkFailed(err)
			}
			plan := a.fleet.Plan(report, engine.PlanOptions{Explicit: len(names) > 0, Force: force})
			if dryRun {
				writePlan(out, plan)
				return nil
			}
			p := newProgressPrinter(out, isTerminal(out))
			sum := a.fleet.Apply(ctx, plan, engine.ApplyOptions{Cleanup: cleanup, Force: force}, p)
			p.finish()
			writeSummary(out, sum)
			if err := downEngines(report.Hosts); err != nil && sum.Failed == 0 {
				return err
			}
			if sum.Failed > 0 {
				return &ExitError{Code: ExitFailed, Err: fmt.Errorf("%d of %d updates failed", sum.Failed, sum.Failed+sum.Updated)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be updated and change nothing")
	cmd.Flags().BoolVar(&cleanup, "cleanup", false, "remove old images once no container uses them")
	cmd.Flags().BoolVar(&force, "force", false, "update paused containers too (unpaused, stopped and replaced by a running one), and versions still in their cooldown")
	versions.addFlags(cmd.Flags())
	return cmd
}

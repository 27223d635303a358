package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/apikey"
)

func newAPIKeyCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "api-key",
		Short: "Print the API key machine clients present (creating it if there is none)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, _, err := apikey.Ensure(g.dataDir)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), key.Value())
			return nil
		},
	}
}

package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/apikey"
)

func newAPIKeyCmd(g *globalOptions) *cobra.Command {
	var given string
	cmd := &cobra.Command{
		Use:   "api-key",
		Short: "Print the API key machine clients present (creating it if there is none)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if given != "" {
				fmt.Fprintln(cmd.OutOrStdout(), given)
				return nil
			}
			key, _, err := apikey.Ensure(g.dataDir)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), key.Value())
			return nil
		},
	}
	// Filled from the same variables as serve's, so the key printed is the
	// one serve uses.
	cmd.Flags().StringVar(&given, "http-api-token", "", "the configured key, when one is")
	_ = cmd.Flags().MarkHidden("http-api-token")
	return cmd
}

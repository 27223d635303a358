package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/apikey"
)

func newAPIKeyCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "api-key",
		Short: "Print the API key of the deploy webhook and the dashboard (creating it if there is none)",
		Long: `Print cutover's API key, kept in <data-dir>/api_key: the key of POST /update,
of the dashboard's API, and of /v1/* unless a Watchtower API token
(--http-api-token) is set. The key is made on first use.`,
		Args: cobra.NoArgs,
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

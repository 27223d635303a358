package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/docker"
	"github.com/cutover/cutover/internal/version"
)

// engineQueryTimeout bounds how long version waits for the engine: an
// address that swallows packets must not hang a version query.
const engineQueryTimeout = 5 * time.Second

func newVersionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print cutover's version and commit, its Go release, and the engine API version in use",
		Long: `Print cutover's version and commit, the Go release it was built with, and
the Docker engine API version cutover and the engine settle on. Without an
engine the last line says why it could not be asked; the exit code is still 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			commit := version.Commit
			if commit == "" {
				commit = "unknown"
			}
			out := cmd.OutOrStdout()
			if _, err := fmt.Fprintf(out, "cutover  %s\ncommit   %s\ngo       %s\n", version.Version, commit, version.Go()); err != nil {
				return err
			}
			specs, err := g.hostSpecs()
			if err != nil {
				_, err = fmt.Fprintf(out, "engine   %s\n", firstLine(err.Error()))
				return err
			}
			for _, s := range specs {
				line := engineLine(cmd.Context(), s.addr, g.dockerOptionsFor(s, len(specs) > 1)...)
				if len(specs) > 1 {
					line = s.name + ": " + line
				}
				if _, err := fmt.Fprintf(out, "engine   %s\n", line); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// engineLine names the API version cutover and the engine settled on, or
// why the engine could not be asked: the binary's version is worth printing
// without an engine, so that is not an error.
func engineLine(ctx context.Context, host string, opts ...docker.Option) string {
	rt, err := docker.New(host, opts...)
	if err != nil {
		return "unreachable: docker engine address: " + firstLine(err.Error())
	}
	defer rt.Close()
	ctx, cancel := context.WithTimeout(ctx, engineQueryTimeout)
	defer cancel()
	api, err := rt.APIVersion(ctx)
	if err != nil {
		return fmt.Sprintf("unreachable at %s: %s", rt.Host(), firstLine(err.Error()))
	}
	return fmt.Sprintf("API %s at %s", api, rt.Host())
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

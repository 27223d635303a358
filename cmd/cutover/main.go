// Command cutover keeps Docker containers on their newest images, safely.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// The image is FROM scratch: no CA bundle for HTTPS registries and no
	// zoneinfo for TZ with --schedule, so the binary carries both. The CA
	// roots are used only when the system has none of its own.
	_ "golang.org/x/crypto/x509roots/fallback"
	_ "time/tzdata"

	"github.com/cutover/cutover/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

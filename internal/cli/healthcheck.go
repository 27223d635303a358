package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// healthTimeout bounds one health request. /health itself waits up to 5s for
// the engine, so this is longer; the image's HEALTHCHECK allows longer still.
const healthTimeout = 10 * time.Second

// newHealthcheckCmd is the image's HEALTHCHECK: FROM scratch there is no curl,
// so the binary asks its own /health.
func newHealthcheckCmd() *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "healthcheck [URL]",
		Short: "Exit 0 when the local cutover serve answers /health with 200, else 1",
		Long: `Ask the cutover serve on this machine (or in this container) for /health:
exit code 0 when it answers 200, 1 otherwise, with the reason on stderr. It
reads the same --listen flag and CUTOVER_LISTEN (or PORT) variable as serve;
a wildcard address (":8080", "0.0.0.0:8080") is asked on loopback.

Given a URL, it asks that URL instead, as curl --fail would: a compose
healthcheck such as autodok's "curl --fail http://localhost:3000/health"
becomes ["CMD", "/cutover", "healthcheck", "http://localhost:3000/health"],
which works in cutover's image, where there is neither curl nor a shell.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			url, err := healthURL(listen)
			if len(args) == 1 {
				url, err = givenHealthURL(args[0])
			}
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			if err := checkHealth(cmd.Context(), url); err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", ":8080", "the address cutover serve listens on")
	return cmd
}

// healthURL turns serve's listen address into the URL of its /health.
func healthURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("--listen %q: %w", listen, err)
	}
	if port == "" || port == "0" {
		return "", fmt.Errorf("--listen %q: no fixed port to ask", listen)
	}
	switch ip := net.ParseIP(host); {
	case host == "", ip != nil && ip.To4() != nil && ip.IsUnspecified():
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/health", nil
}

// givenHealthURL checks a URL given on the command line.
func givenHealthURL(raw string) (string, error) {
	u, err := neturl.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%q: want an http:// or https:// URL, such as http://localhost:8080/health", raw)
	}
	return u.String(), nil
}

// checkHealth answers nil when url answers 200, else says what came back.
func checkHealth(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// Straight to the local server: a proxy from the environment is for
	// registries, not for this.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	reason := strings.TrimSpace(firstLine(string(body)))
	if reason == "" {
		return fmt.Errorf("unhealthy: GET %s: %s", url, resp.Status)
	}
	return fmt.Errorf("unhealthy: GET %s: %s: %s", url, resp.Status, reason)
}

package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/notify"
)

// newNotifyUpgradeCmd is Watchtower's notify-upgrade: it writes the legacy
// notification settings as one WATCHTOWER_NOTIFICATION_URL line to a file
// that can be copied out of the container, and removes it again.
func newNotifyUpgradeCmd(_ *globalOptions) *cobra.Command {
	var (
		n    notifyOptions
		dir  string
		keep time.Duration
	)
	cmd := &cobra.Command{
		Use:   "notify-upgrade",
		Short: "Write Watchtower's legacy notification settings as shoutrrr URLs to an environment file",
		Long: `Translate --notifications and the --notification-email-*, -slack-*,
-msteams-* and -gotify-* settings (or their WATCHTOWER_* variables) into
shoutrrr URLs, as serve does, and write them with --notification-url's to a
file as WATCHTOWER_NOTIFICATION_URL=...; the file is removed after --keep-for
or when cutover is stopped, as Watchtower's was.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, notes, err := n.settings("")
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			for _, note := range notes {
				fmt.Fprintln(stderr, "note:", note)
			}
			if len(opts.URLs) == 0 {
				return fmt.Errorf("no notification configured: set --notifications (WATCHTOWER_NOTIFICATIONS) and its service's settings, or --notification-url")
			}
			var schemes []string
			for _, u := range opts.URLs {
				schemes = append(schemes, notify.Scheme(u))
			}
			fmt.Fprintf(stderr, "Found notification configurations for: %s\n", strings.Join(schemes, ", "))
			f, err := os.CreateTemp(dir, "watchtower-notif-urls-*")
			if err != nil {
				return fmt.Errorf("creating the output file: %w", err)
			}
			name := f.Name()
			defer func() {
				if err := os.Remove(name); err != nil {
					fmt.Fprintf(stderr, "Failed to remove %s, remove it by hand: %v\n", name, err)
				} else {
					fmt.Fprintln(stderr, "Environment file has been removed.")
				}
			}()
			_, werr := fmt.Fprint(f, "WATCHTOWER_NOTIFICATION_URL="+strings.Join(opts.URLs, " "))
			if err := f.Close(); werr == nil {
				werr = err
			}
			if werr != nil {
				return fmt.Errorf("writing %s: %w", name, werr)
			}
			fmt.Fprintf(stderr, "Writing notification URLs to %s\n\nTo get the environment file, use:\ndocker cp %s:%s ./watchtower-notifications.env\n\n", name, containerRef(), name)
			fmt.Fprintf(stderr, "Note: This file will be removed in %s or when this container is stopped!\n", untilWords(keep))
			t := time.NewTimer(keep)
			defer t.Stop()
			select {
			case <-t.C:
				fmt.Fprintln(stderr, "Timed out!")
			case <-cmd.Context().Done():
				fmt.Fprintln(stderr, "Stopping...")
			}
			return nil
		},
	}
	n.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&dir, "dir", "/", "directory for the environment file")
	cmd.Flags().DurationVar(&keep, "keep-for", 5*time.Minute, "how long the file is kept for copying")
	return cmd
}

// containerRef names this container for docker cp: in a container the host
// name is its short id.
func containerRef() string {
	if _, err := os.Stat("/.dockerenv"); err == nil {
		if h, err := os.Hostname(); err == nil && h != "" {
			return h
		}
	}
	return "<CONTAINER>"
}

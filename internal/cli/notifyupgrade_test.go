package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cli"
)

// TestNotifyUpgrade runs Watchtower's notify-upgrade as its documentation
// does: the legacy settings in, an environment file with the shoutrrr URLs
// out, kept until cutover stops, then removed.
func TestNotifyUpgrade(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("WATCHTOWER_NOTIFICATIONS", "slack email")
	t.Setenv("WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL", "https://hooks.slack.com/services/xxx/yyyyyyyyyyyyyyy/zzz")
	t.Setenv("WATCHTOWER_NOTIFICATION_EMAIL_FROM", "from@example.com")
	t.Setenv("WATCHTOWER_NOTIFICATION_EMAIL_TO", "to@example.com")
	t.Setenv("WATCHTOWER_NOTIFICATION_EMAIL_SERVER", "smtp.example.com")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		var stdout bytes.Buffer
		done <- cli.Run(ctx, []string{"notify-upgrade", "--dir", dir, "--notification-url", "generic://example.com/hook"}, &stdout, &stderr)
	}()

	var file string
	waitFor(t, "the environment file", 10*time.Second, func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "watchtower-notif-urls-*"))
		if len(m) == 1 {
			file = m[0]
		}
		return file != ""
	})
	want := "WATCHTOWER_NOTIFICATION_URL=generic://example.com/hook " +
		"slack://hook:xxx-yyyyyyyyyyyyyyy-zzz@webhook?botname=watchtower&color=%23406170 " +
		"smtp://smtp.example.com:25/?auth=None&fromaddress=from%40example.com&fromname=Watchtower&subject=&toaddresses=to%40example.com"
	waitFor(t, "the URLs in "+file, 10*time.Second, func() bool {
		b, _ := os.ReadFile(file)
		return string(b) == want
	})
	if got := stderr.String(); !strings.Contains(got, "Found notification configurations for: generic, slack, smtp") || !strings.Contains(got, "docker cp ") || !strings.Contains(got, file) {
		t.Errorf("stderr: want the services and how to copy %s, got:\n%s", file, got)
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("notify-upgrade: exit %d, want 0:\n%s", code, stderr.String())
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("%s still there after cutover stopped (%v)", file, err)
	}
}

func TestNotifyUpgradeRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no notification configured"},
		{[]string{"--notifications", "gotify"}, "--notification-gotify-url (WATCHTOWER_NOTIFICATION_GOTIFY_URL) is empty"},
		{[]string{"--notifications", "carrier-pigeon"}, `--notifications "carrier-pigeon": unknown type`},
	} {
		var out, errOut bytes.Buffer
		code := cli.Run(context.Background(), append([]string{"notify-upgrade", "--dir", t.TempDir()}, tc.args...), &out, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("notify-upgrade %v: exit %d, stderr %q; want a failure saying %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

// TestHealthCheckFlag checks Watchtower's HEALTHCHECK line: it passes at
// once, without an engine, whatever else the environment says.
func TestHealthCheckFlag(t *testing.T) {
	t.Setenv("WATCHTOWER_POLL_INTERVAL", "not a number")
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
	var out, errOut bytes.Buffer
	start := time.Now()
	code := cli.Run(context.Background(), []string{"--health-check"}, &out, &errOut)
	if code != 0 || out.Len() != 0 || errOut.Len() != 0 {
		t.Errorf("cutover --health-check: exit %d, stdout %q, stderr %q; want 0 and no output", code, out.String(), errOut.String())
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cutover --health-check took %s", took)
	}
}

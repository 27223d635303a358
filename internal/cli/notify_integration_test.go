package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/testenv"
)

// Watchtower's documented templates (docs/notifications.md), as users
// pasted them.
const (
	docsSimpleTemplate = `{{range .}}{{.Time.Format "2006-01-02 15:04:05"}} ({{.Level}}): {{.Message}}{{println}}{{end}}`
	docsReportTemplate = `
{{- if .Report -}}
  {{- with .Report -}}
{{len .Scanned}} Scanned, {{len .Updated}} Updated, {{len .Failed}} Failed
      {{- range .Updated}}
- {{.Name}} ({{.ImageName}}): {{.CurrentImageID.ShortID}} updated to {{.LatestImageID.ShortID}}
      {{- end -}}
      {{- range .Fresh}}
- {{.Name}} ({{.ImageName}}): {{.State}}
    {{- end -}}
    {{- range .Skipped}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
    {{- end -}}
    {{- range .Failed}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
    {{- end -}}
  {{- end -}}
{{- else -}}
  {{range .Entries -}}{{.Message}}{{"\n"}}{{- end -}}
{{- end -}}`
)

// updateCase is a container whose registry has a newer image, and what a
// notification about its update says.
type updateCase struct {
	name, image, id string
	v1, v2          string // digests
}

func newUpdateCase(t *testing.T) updateCase {
	t.Helper()
	ref, d1, push := imagePair(t, testenv.PlainRegistry, testenv.ImageSpec{})
	name := testenv.Name(t, "notified")
	testenv.RunContainer(t, name, "--label", "com.centurylinklabs.watchtower.enable=true", ref)
	d2 := push(testenv.ImageSpec{})
	return updateCase{name: name, image: ref, id: containerID(t, name), v1: d1, v2: d2}
}

func hex12(digest string) string { return strings.TrimPrefix(digest, "sha256:")[:12] }

// legacyText is what Watchtower's default notification says of the update.
func (u updateCase) legacyText() string {
	return fmt.Sprintf("Found new %s image (%s)\nStopping /%s (%s) with SIGTERM\nCreating /%s\n", u.image, hex12(u.v2), u.name, u.id[:12], u.name)
}

// reportText is what Watchtower's default report template says of it.
func (u updateCase) reportText() string {
	return fmt.Sprintf("1 Scanned, 1 Updated, 0 Failed\n- /%s (%s): %s updated to %s", u.name, u.image, hex12(u.v1), hex12(u.v2))
}

// passMessages are the bodies of the requests to path that are about a
// pass, not the startup message.
func passMessages(r *receiver, path string) []string {
	var out []string
	for _, q := range r.requests() {
		if strings.HasPrefix(q.uri, path) && !strings.Contains(q.body, "cutover dev") && !strings.Contains(q.body, "Using notifications") {
			out = append(out, q.body)
		}
	}
	return out
}

// TestIntegrationWatchtowerNotifications updates a real container and reads
// what local stand-ins for Gotify, a generic webhook and a Slack-style hook
// got: from Watchtower's legacy variables, from --notification-url, with
// the default templates and with two of Watchtower's documented ones.
func TestIntegrationWatchtowerNotifications(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	host, _ := os.Hostname()

	t.Run("generic webhook, default template", func(t *testing.T) {
		t.Parallel()
		u, recv := newUpdateCase(t), listenReceiver(t)
		mustRun(t, nil, "-R", "--notification-url", "generic+http://"+recv.addr+"/generic", u.name)
		if got := passMessages(recv, "/generic"); len(got) != 1 || got[0] != u.legacyText() {
			t.Errorf("generic webhook got %q, want one message %q", got, u.legacyText())
		}
	})
	t.Run("generic webhook, default report template", func(t *testing.T) {
		t.Parallel()
		u, recv := newUpdateCase(t), listenReceiver(t)
		mustRun(t, nil, "-R", "--notification-report", "--notification-url", "generic+http://"+recv.addr+"/generic", u.name)
		if got := passMessages(recv, "/generic"); len(got) != 1 || got[0] != u.reportText() {
			t.Errorf("generic webhook got %q, want one message %q", got, u.reportText())
		}
	})
	t.Run("documented simple template", func(t *testing.T) {
		t.Parallel()
		u, recv := newUpdateCase(t), listenReceiver(t)
		mustRun(t, nil, "-R", "--notification-template", docsSimpleTemplate, "--notification-url", "generic+http://"+recv.addr+"/generic", u.name)
		got := passMessages(recv, "/generic")
		var want strings.Builder
		for _, line := range strings.SplitAfter(u.legacyText(), "\n") {
			if line != "" {
				want.WriteString(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(info\): ` + regexp.QuoteMeta(line))
			}
		}
		if len(got) != 1 || !regexp.MustCompile(`^`+want.String()+`$`).MatchString(got[0]) {
			t.Errorf("generic webhook got %q, want one message matching %s", got, want.String())
		}
	})
	t.Run("documented report template", func(t *testing.T) {
		t.Parallel()
		u, recv := newUpdateCase(t), listenReceiver(t)
		args := []string{"-R", "--notification-report", "--notification-template", docsReportTemplate, "--notification-url", "generic+http://" + recv.addr + "/generic", u.name}
		mustRun(t, nil, args...)
		// The template sends a report after every pass, even a quiet one.
		mustRun(t, nil, args...)
		want := []string{u.reportText(), fmt.Sprintf("1 Scanned, 0 Updated, 0 Failed\n- /%s (%s): Fresh", u.name, u.image)}
		if got := passMessages(recv, "/generic"); strings.Join(got, "\n---\n") != strings.Join(want, "\n---\n") {
			t.Errorf("generic webhook got %q, want %q", got, want)
		}
	})
	t.Run("Gotify from legacy variables", func(t *testing.T) {
		u, recv := newUpdateCase(t), listenReceiver(t)
		mustRun(t, map[string]string{
			"WATCHTOWER_NOTIFICATIONS":             "gotify",
			"WATCHTOWER_NOTIFICATION_GOTIFY_URL":   "http://" + recv.addr,
			"WATCHTOWER_NOTIFICATION_GOTIFY_TOKEN": "Acutovertoken01",
		}, u.name)
		got := passMessages(recv, "/message?token=Acutovertoken01")
		var m struct{ Message, Title string }
		if len(got) != 1 || json.Unmarshal([]byte(got[0]), &m) != nil || m.Message != u.legacyText() || m.Title != "cutover updates on "+host {
			t.Errorf("Gotify got %q, want one message %q titled %q", got, u.legacyText(), "cutover updates on "+host)
		}
	})
	t.Run("Slack-style hook from legacy variables", func(t *testing.T) {
		u, recv := newUpdateCase(t), listenReceiver(t)
		mustRun(t, map[string]string{
			"WATCHTOWER_NOTIFICATIONS":                 "slack",
			"WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL":   "http://" + recv.addr + "/hooks/T000/B000/XXXX",
			"WATCHTOWER_NOTIFICATION_SLACK_IDENTIFIER": "watchtower-server-1",
			"WATCHTOWER_NOTIFICATION_SLACK_CHANNEL":    "#my-custom-channel",
			"WATCHTOWER_NOTIFICATION_TITLE_TAG":        "prod",
		}, u.name)
		got := passMessages(recv, "/hooks/T000/B000/XXXX")
		var m struct{ Text, Username, Channel, Title string }
		if len(got) != 1 || json.Unmarshal([]byte(got[0]), &m) != nil || m.Text != u.legacyText() ||
			m.Username != "watchtower-server-1" || m.Channel != "#my-custom-channel" || m.Title != "[prod] cutover updates on "+host {
			t.Errorf("Slack-style hook got %q, want one message with text %q from watchtower-server-1 to #my-custom-channel titled [prod] cutover updates on %s", got, u.legacyText(), host)
		}
	})
	t.Run("--notification-url in the variable, two URLs", func(t *testing.T) {
		u, recv := newUpdateCase(t), listenReceiver(t)
		mustRun(t, map[string]string{
			"WATCHTOWER_NOTIFICATION_URL": "generic+http://" + recv.addr + "/a?x=1,2 \n generic+http://" + recv.addr + "/b",
		}, u.name)
		for _, path := range []string{"/a?x=1%2C2", "/b"} {
			if got := passMessages(recv, path); len(got) != 1 || got[0] != u.legacyText() {
				t.Errorf("%s got %q, want one message %q", path, got, u.legacyText())
			}
		}
	})
}

// mustRun runs cutover --run-once with the variables set for the run alone
// (then WATCHTOWER_RUN_ONCE stands in for -R) and fails the test unless it
// succeeds.
func mustRun(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	if env != nil {
		env["WATCHTOWER_RUN_ONCE"] = "true"
	}
	full := append([]string{"--data-dir", t.TempDir(), "--health-grace", "1s", "--health-timeout", "30s"}, args...)
	res := runWithEnv(t, env, full)
	if res.code != 0 {
		t.Fatalf("cutover %s with %v: exit %d; stderr:\n%s", strings.Join(args, " "), env, res.code, res.stderr)
	}
	return res
}

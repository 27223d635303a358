package cli

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/daemon"
)

// parsed returns the root command with args parsed and the environment
// applied, as cutover sees them before it runs.
func parsed(t *testing.T, args ...string) (*cobra.Command, envReport, error) {
	t.Helper()
	root := newRoot(io.Discard, io.Discard)
	if err := root.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	rep, err := applyEnv(root.Flags())
	return root, rep, err
}

func value(t *testing.T, c *cobra.Command, flag string) string {
	t.Helper()
	f := c.Flags().Lookup(flag)
	if f == nil {
		t.Fatalf("no flag --%s", flag)
	}
	if sv, ok := f.Value.(interface{ GetSlice() []string }); ok {
		return strings.Join(sv.GetSlice(), "|")
	}
	return f.Value.String()
}

// TestWatchtowerVariablesReadAsWatchtowerRead checks the value syntax of
// Watchtower's variables where it differs from the flags'.
func TestWatchtowerVariablesReadAsWatchtowerRead(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "urls")
	if err := os.WriteFile(secret, []byte("generic://a.example/x?to=a,b\n\ngeneric://b.example/y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env      map[string]string
		flag     string
		want     string
		warning  string
		source   string
		wantFail string
	}{
		{env: map[string]string{"WATCHTOWER_CLEANUP": "yes"}, flag: "cleanup", want: "false", warning: `WATCHTOWER_CLEANUP="yes" is not a boolean: read as false`},
		{env: map[string]string{"WATCHTOWER_CLEANUP": "1"}, flag: "cleanup", want: "true"},
		{env: map[string]string{"CUTOVER_CLEANUP": "yes"}, flag: "cleanup", wantFail: `CUTOVER_CLEANUP="yes"`},
		{env: map[string]string{"WATCHTOWER_TIMEOUT": "30"}, flag: "stop-timeout", want: "30s", warning: `WATCHTOWER_TIMEOUT="30" has no unit: read as 30s`},
		{env: map[string]string{"WATCHTOWER_TIMEOUT": "1m30s"}, flag: "stop-timeout", want: "1m30s"},
		{env: map[string]string{"WATCHTOWER_TIMEOUT": "0"}, flag: "stop-timeout", want: "0s"},
		{env: map[string]string{"NO_COLOR": "0"}, flag: "no-color", want: "true", source: "NO_COLOR"},
		{env: map[string]string{"DOCKER_TLS_VERIFY": "yes"}, flag: "tlsverify", want: "true"},
		{env: map[string]string{"DOCKER_API_VERSION": "1.41"}, flag: "api-version", want: "1.41"},
		{env: map[string]string{"WATCHTOWER_NOTIFICATION_URL": "smtp://h/?toaddresses=a@x,b@y \n\tgeneric://c"}, flag: "notification-url", want: "smtp://h/?toaddresses=a@x,b@y|generic://c"},
		{env: map[string]string{"WATCHTOWER_NOTIFICATION_URL": secret}, flag: "notification-url", want: "generic://a.example/x?to=a,b|generic://b.example/y"},
		{env: map[string]string{"WATCHTOWER_NOTIFICATIONS": "slack email,gotify"}, flag: "notifications", want: "slack|email|gotify"},
		{env: map[string]string{"WATCHTOWER_DISABLE_CONTAINERS": "a, b ,,c"}, flag: "disable-containers", want: "a|b|c"},
		{env: map[string]string{"WATCHTOWER_NOTIFICATION_MSTEAMS_HOOK_URL": "https://x"}, flag: "notification-msteams-hook", want: "https://x"},
		{env: map[string]string{"WATCHTOWER_NOTIFICATION_MSTEAMS_USE_LOG_DATA": "true"}, flag: "notification-msteams-data", want: "true"},
		{env: map[string]string{"CUTOVER_NOTIFICATION_SLACK_HOOK_URL": "https://x"}, flag: "notification-slack-hook-url", want: ""},
		{env: map[string]string{"CUTOVER_HEALTH_CHECK": "true", "WATCHTOWER_HEALTH_CHECK": "true"}, flag: "health-check", want: "false"},
	}
	for _, tt := range tests {
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		c, rep, err := parsed(t)
		for k := range tt.env {
			os.Unsetenv(k)
		}
		if tt.wantFail != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantFail) {
				t.Errorf("%v: got error %v, want one naming %s", tt.env, err, tt.wantFail)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.env, err)
			continue
		}
		if got := value(t, c, tt.flag); got != tt.want {
			t.Errorf("%v: --%s is %q, want %q", tt.env, tt.flag, got, tt.want)
		}
		var warnings []string
		if tt.warning != "" {
			warnings = []string{tt.warning}
		}
		if len(rep.warnings) != len(warnings) || (len(warnings) == 1 && !strings.HasPrefix(rep.warnings[0], tt.warning)) {
			t.Errorf("%v: warnings %q, want %q", tt.env, rep.warnings, warnings)
		}
		if tt.source != "" && rep.sources[tt.flag] != tt.source {
			t.Errorf("%v: --%s set from %q, want %q", tt.env, tt.flag, rep.sources[tt.flag], tt.source)
		}
	}
}

func TestUpdatePolicy(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		on   bool
		why  string
	}{
		{nil, nil, false, "cutover's opt-in"},
		{[]string{"--cleanup", "--interval", "30"}, nil, false, "cutover's opt-in"},
		{nil, map[string]string{"WATCHTOWER_POLL_INTERVAL": "30"}, true, "Watchtower's, because WATCHTOWER_POLL_INTERVAL is set"},
		{nil, map[string]string{"WATCHTOWER_SCOPE": "a", "WATCHTOWER_CLEANUP": "true"}, true, "Watchtower's, because WATCHTOWER_CLEANUP and 1 more WATCHTOWER_* variables are set"},
		{[]string{"--notifications", "shoutrrr"}, nil, true, "Watchtower's, because --notifications is given"},
		{[]string{"-P", "v1"}, nil, true, "Watchtower's, because --porcelain is given"},
		// NO_COLOR is not Watchtower's: it says nothing about the configuration.
		{nil, map[string]string{"NO_COLOR": "1", "DOCKER_API_VERSION": "1.41"}, false, "cutover's opt-in"},
		{[]string{"--auto-update-default=false"}, map[string]string{"WATCHTOWER_POLL_INTERVAL": "30"}, false, "cutover's opt-in"},
		{[]string{"--auto-update-default"}, nil, true, "(--auto-update-default is true)"},
		{nil, map[string]string{"CUTOVER_AUTO_UPDATE_DEFAULT": "true"}, true, "(--auto-update-default is true)"},
	}
	for _, tt := range tests {
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		c, rep, err := parsed(t, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		given := value(t, c, "auto-update-default") == "true"
		on, line := updatePolicy(c.Flags(), rep, given)
		for k := range tt.env {
			os.Unsetenv(k)
		}
		if on != tt.on || !strings.Contains(line, tt.why) {
			t.Errorf("%v %v: policy %v %q, want %v saying %q", tt.args, tt.env, on, line, tt.on, tt.why)
		}
	}
}

func TestCompatWarnings(t *testing.T) {
	g := &globalOptions{stopTimeout: 0}
	o := &serveOptions{labelTakePrecedence: true, noPull: true, warnOnHeadFailure: "sometimes"}
	got := compatWarnings(nil, g, o)
	want := []string{
		"--stop-timeout 0s: a container that sets no stop timeout itself gets 10s to stop (Watchtower killed it at once)",
		"--label-take-precedence: a container's no-pull=false label does not win over --no-pull (it does win over --monitor-only)",
		`--warn-on-head-failure "sometimes": read as auto, as Watchtower read it (want always, auto or never)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if o.warnOnHeadFailure != "auto" {
		t.Errorf("--warn-on-head-failure became %q, want auto", o.warnOnHeadFailure)
	}
	if got := compatWarnings(nil, &globalOptions{stopTimeout: time.Second}, &serveOptions{warnOnHeadFailure: "never"}); len(got) != 0 {
		t.Errorf("warnings for settings that work as in Watchtower: %q", got)
	}
}

func TestIntervalWithSchedule(t *testing.T) {
	// Watchtower refused both only when the interval was given on the
	// command line or differs from its default.
	for _, tt := range []struct {
		args    []string
		env     map[string]string
		refused bool
	}{
		{[]string{"--schedule", "0 0 4 * * *"}, map[string]string{"WATCHTOWER_POLL_INTERVAL": "86400"}, false},
		{[]string{"--schedule", "0 0 4 * * *"}, map[string]string{"WATCHTOWER_POLL_INTERVAL": "30"}, true},
		{[]string{"--schedule", "0 0 4 * * *", "--interval", "86400"}, nil, true},
	} {
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		c, rep, err := parsed(t, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		var o serveOptions
		o.interval, _ = c.Flags().GetInt("interval")
		o.schedule, _ = c.Flags().GetString("schedule")
		_, err = o.periodic(c.Flags(), rep)
		for k := range tt.env {
			os.Unsetenv(k)
		}
		if (err != nil) != tt.refused {
			t.Errorf("%v %v: error %v, want refused %v", tt.args, tt.env, err, tt.refused)
		}
	}
}

func TestFilterDescriptionAndWait(t *testing.T) {
	for _, tt := range []struct {
		f    daemon.Filter
		want string
	}{
		{daemon.Filter{}, "Checking all containers (except explicitly disabled with label)"},
		{daemon.Filter{Names: []string{"web", "db"}, Disabled: []string{"x"}, LabelEnable: true, Scope: "prod"},
			`Only checking containers which name matches "web" or "db", not named one of "x", using enable label, in scope "prod"`},
		{daemon.Filter{Scope: "none"}, "Only checking containers without a scope"},
	} {
		if got := filterDescription(tt.f); got != tt.want {
			t.Errorf("filterDescription(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
	for d, want := range map[time.Duration]string{
		0: "0 seconds", time.Second: "1 second", time.Hour + time.Second: "1 hour, 1 second",
		23*time.Hour + 59*time.Minute + 59*time.Second: "23 hours, 59 minutes, 59 seconds", 2 * time.Minute: "2 minutes",
	} {
		if got := untilWords(d); got != want {
			t.Errorf("untilWords(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestLegacyFlagsHaveWatchtowersVariableOnly(t *testing.T) {
	for name := range legacyFlags {
		if names := envNames(name); slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "CUTOVER_") }) {
			t.Errorf("--%s: read from %v, want Watchtower's variable only", name, names)
		}
	}
}

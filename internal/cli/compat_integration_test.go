package cli_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cli"
	"github.com/cutover/cutover/internal/testenv"
)

// compatFixture is what a group of the compatibility table runs against.
type compatFixture struct {
	// stale pushes a v2 of the container's image after it starts.
	stale bool
	// pullNeeded removes v2's local tag again, so only a pull updates.
	pullNeeded bool
	// other adds a second container in another scope.
	other bool
	// unreachable runs the container from a registry that does not answer.
	unreachable bool
	// auth takes the image from the registry that needs a login.
	auth bool
	// noEngine runs nothing: the rows need no container.
	noEngine bool
	// args are given in both forms, to set up what the rows act on.
	args []string
}

var compatFixtures = map[string]compatFixture{
	"plain":       {stale: true},
	"quiet":       {args: []string{"--notifications", "msteams", "--notification-url", "generic+http://$ADDR/generic"}},
	"notify":      {},
	"level":       {args: []string{"--notification-url", "generic+http://$ADDR/generic?template=json", "--stop-timeout", "0s"}},
	"report":      {stale: true, args: []string{"--notification-url", "generic+http://$ADDR/generic", "--auto-update-default"}},
	"template":    {args: []string{"--notification-url", "logger://"}},
	"gotify":      {},
	"slack":       {args: []string{"--notifications", "slack"}},
	"slackurl":    {args: []string{"--notifications", "slack", "--notification-slack-hook-url", "http://$ADDR/slack/hook"}},
	"email":       {args: []string{"--notifications", "email"}},
	"porcelain":   {},
	"monitor":     {stale: true, args: []string{"--auto-update-default"}},
	"nopull":      {stale: true, pullNeeded: true, args: []string{"--auto-update-default"}},
	"labelenable": {stale: true, args: []string{"--auto-update-default"}},
	"disable":     {stale: true, args: []string{"--auto-update-default"}},
	"scope":       {other: true},
	"logging":     {},
	"health":      {noEngine: true},
	"warnhead":    {unreachable: true},
	"auth":        {stale: true, auth: true},
}

// TestIntegrationWatchtowerCompat tries every row of
// testdata/watchtower-compat.tsv twice, as Watchtower's flag and as its
// variable, with cutover --run-once on containers of its own, and checks
// that cutover starts and that the row's effect holds. Rows of a group
// share one run per form: the flag runs go in parallel, the variable runs
// one after another, since the environment is the process's.
func TestIntegrationWatchtowerCompat(t *testing.T) {
	testenv.RequireEngine(t)
	testenv.RequireRegistries(t)
	rows := readCompatTable(t)
	var groups []string
	for _, r := range rows {
		if _, ok := compatFixtures[r.group]; !ok {
			t.Fatalf("row %s: group %q has no fixture", r.name(), r.group)
		}
		if !slices.Contains(groups, r.group) {
			groups = append(groups, r.group)
		}
	}
	for _, g := range groups {
		t.Run("flags/"+g, func(t *testing.T) {
			t.Parallel()
			runCompatGroup(t, g, rows, false)
		})
	}
	for _, g := range groups {
		t.Run("variables/"+g, func(t *testing.T) { runCompatGroup(t, g, rows, true) })
	}
}

func runCompatGroup(t *testing.T, group string, all []compatRow, asEnv bool) {
	fx := compatFixtures[group]
	var rows []compatRow
	for _, r := range all {
		if r.group != group {
			continue
		}
		if (asEnv && r.variable != "-") || (!asEnv && r.flag != "-") || r.flag == "NAME..." {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return
	}
	recv := listenReceiver(t)
	mail := listenSMTP(t)
	vars := map[string]string{"$ADDR": recv.addr, "$SMTPPORT": mail.port, "$SCOPE": testenv.Name(t, "scope-"+group)}
	var names []string
	var imageBefore string
	if !fx.noEngine {
		names, imageBefore = compatContainers(t, fx, group, vars)
	}
	expand := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}

	args := []string{"--data-dir", t.TempDir(), "--health-grace", "1s", "--health-timeout", "30s"}
	env := map[string]string{}
	switch {
	case fx.noEngine:
	case asEnv:
		env["WATCHTOWER_RUN_ONCE"] = "true"
	default:
		args = append(args, "-R")
	}
	for _, a := range fx.args {
		args = append(args, expand(a))
	}
	positional := names
	for _, r := range rows {
		value := expand(r.sample)
		switch {
		case r.flag == "NAME...":
			positional = []string{value}
		case asEnv:
			env[r.variable] = value
		default:
			form := r.flag
			if r.short != "-" {
				form = r.short
			}
			if r.sample == "true" {
				args = append(args, form)
			} else {
				args = append(args, form, value)
			}
		}
	}
	args = append(args, positional...)

	res := runWithEnv(t, env, args)
	if res.code != 0 {
		t.Fatalf("cutover %s with %v: exit %d, want 0; stderr:\n%s", strings.Join(args, " "), env, res.code, res.stderr)
	}
	form := "flag"
	if asEnv {
		form = "variable"
	}
	for _, r := range rows {
		for _, check := range strings.Split(r.check, " && ") {
			if msg := compatCheck(t, expand(check), res, names, imageBefore, recv, mail); msg != "" {
				t.Errorf("%s (as the %s, %q): %s\nstdout:\n%s\nstderr:\n%s", r.name(), form, r.sample, msg, res.stdout, res.stderr)
			}
		}
	}
}

// compatContainers starts the group's containers and returns their names
// and the image id the first one runs.
func compatContainers(t *testing.T, fx compatFixture, group string, vars map[string]string) ([]string, string) {
	registry := testenv.PlainRegistry
	if fx.auth {
		registry = testenv.AuthRegistry
	}
	ref, _, pushV2 := imagePair(t, registry, testenv.ImageSpec{})
	if fx.unreachable {
		dead := "127.0.0.1:1/cutover-test/" + testenv.Name(t, "dead") + ":latest"
		testenv.Docker(t, "tag", ref, dead)
		ref = dead
	}
	name := testenv.Name(t, "compat-"+group)
	testenv.RunContainer(t, name, "--label", "com.centurylinklabs.watchtower.scope="+vars["$SCOPE"], ref)
	names := []string{name}
	if fx.other {
		other := testenv.Name(t, "compat-other")
		testenv.RunContainer(t, other, "--label", "com.centurylinklabs.watchtower.scope=elsewhere", ref)
		names = append(names, other)
	}
	before := imageOf(t, name)
	if fx.stale {
		pushV2(testenv.ImageSpec{})
		if fx.pullNeeded {
			testenv.RemoveImageLocal(t, ref)
		}
	}
	vars["$NAME"], vars["$IMAGE"] = name, ref
	return names, before
}

// runWithEnv runs cutover with the variables set for the run alone.
func runWithEnv(t *testing.T, env map[string]string, args []string) result {
	t.Helper()
	restore := map[string]*string{}
	for k, v := range env {
		if old, ok := os.LookupEnv(k); ok {
			restore[k] = &old
		} else {
			restore[k] = nil
		}
		os.Setenv(k, v)
	}
	defer func() {
		for k, old := range restore {
			if old == nil {
				os.Unsetenv(k)
			} else {
				os.Setenv(k, *old)
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := cli.Run(ctx, args, &out, &errOut)
	return result{out.String(), errOut.String(), code}
}

// compatCheck evaluates one check of a row and says what is wrong, or "".
func compatCheck(t *testing.T, check string, res result, names []string, before string, recv *receiver, mail *smtpReceiver) string {
	kind, arg, _ := strings.Cut(check, ":")
	switch kind {
	case "starts":
		return ""
	case "exit0":
		if res.stdout != "" || res.stderr != "" {
			return "want exit 0 with no output"
		}
	case "updated", "kept":
		now := imageOf(t, names[0])
		if updated := now != before; updated != (kind == "updated") {
			return "container " + names[0] + ": want " + kind + ", image " + short(before) + " -> " + short(now)
		}
	case "image-removed":
		if err := exec.Command("docker", "image", "inspect", before).Run(); err == nil {
			return "the old image " + short(before) + " is still there, want it removed"
		}
	case "log":
		if !strings.Contains(res.stderr, arg) {
			return "the log does not say " + arg
		}
	case "nolog":
		if strings.Contains(res.stderr, arg) {
			return "the log says " + arg
		}
	case "warn":
		n := 0
		for _, line := range strings.Split(res.stderr, "\n") {
			if strings.Contains(line, "WARN") && strings.Contains(line, arg) {
				n++
			}
		}
		if n != 1 {
			return "want exactly one warning saying " + arg
		}
	case "stdout":
		if !strings.Contains(res.stdout, arg) {
			return "stdout does not say " + arg
		}
	case "sent":
		path, text, _ := strings.Cut(arg, ":")
		if !recv.sent(path, text) {
			return "no notification to " + path + " saying " + text + "; got " + formatRequests(recv.requests())
		}
	case "unsent":
		for _, q := range recv.requests() {
			if strings.Contains(q.body, arg) {
				return "a notification says " + arg + ": " + q.body
			}
		}
	case "nothing-sent":
		if got := recv.requests(); len(got) != 0 {
			return "want no notification, got " + formatRequests(got)
		}
	case "mail":
		if tr := mail.transcript(); !strings.Contains(tr, arg) {
			return "the mail server was not told " + arg + "; it got:\n" + tr
		}
	default:
		t.Fatalf("unknown check %q", check)
	}
	return ""
}

func formatRequests(rs []request) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("\n  " + r.uri + " " + r.body)
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/cli"
	"github.com/cutover/cutover/internal/testenv"
)

var (
	helpCommand = regexp.MustCompile(`(?m)^  ([a-z][a-z-]*)\s{2,}\S`)
	helpFlag    = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z][a-z-]*)`)
)

// TestConfigurationDocListsEverything checks docs/configuration.md against
// what cutover --help shows: every command, every flag of every command, and
// the CUTOVER_ variable of every flag, so that a new flag cannot go
// undocumented.
func TestConfigurationDocListsEverything(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	help := func(args ...string) string {
		var out, errOut bytes.Buffer
		if code := cli.Run(context.Background(), append(args, "--help"), &out, &errOut); code != 0 {
			t.Fatalf("cutover %s --help: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		return out.String()
	}
	root := help()
	_, commands, _ := strings.Cut(root, "Available Commands:")
	commands, _, _ = strings.Cut(commands, "\nFlags:")
	seen := 0
	for _, m := range helpCommand.FindAllStringSubmatch(commands, -1) {
		cmd := m[1]
		if cmd == "help" {
			continue
		}
		seen++
		if !strings.Contains(doc, "`cutover "+cmd) {
			t.Errorf("docs/configuration.md: command %q not listed (want a row starting `cutover %s`)", cmd, cmd)
		}
		checkFlags(t, doc, "cutover "+cmd, help(cmd))
	}
	if seen == 0 {
		t.Fatalf("cutover --help listed no command:\n%s", root)
	}
	checkFlags(t, doc, "cutover", root)
}

func checkFlags(t *testing.T, doc, cmd, help string) {
	t.Helper()
	for _, m := range helpFlag.FindAllStringSubmatch(help, -1) {
		flag := m[1]
		if flag == "help" {
			continue
		}
		if !regexp.MustCompile(regexp.QuoteMeta("--"+flag) + `[^a-z-]`).MatchString(doc) {
			t.Errorf("docs/configuration.md: flag --%s of %s not documented", flag, cmd)
		}
		env := "CUTOVER_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
		if !strings.Contains(doc, "`"+env+"`") && !strings.Contains(doc, "`"+env+" ") {
			t.Errorf("docs/configuration.md: variable %s (flag --%s of %s) not documented", env, flag, cmd)
		}
	}
}

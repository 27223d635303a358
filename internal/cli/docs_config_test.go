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

// TestConfigurationDocListsWatchtowersSettings checks the Watchtower section
// of docs/configuration.md against testdata/watchtower-compat.tsv: one row
// per flag or variable of the table, naming its flag, shorthand and
// variable, and no row the table does not have.
func TestConfigurationDocListsWatchtowersSettings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Watchtower's flags and variables\n")
	if !ok {
		t.Fatal("docs/configuration.md: no section \"## Watchtower's flags and variables\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	docRows := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| ") || len(cells) != 3 || strings.HasPrefix(line, "| Watchtower |") || strings.HasPrefix(line, "| ---") {
			continue
		}
		key := strings.TrimPrefix(cells[0], "| ")
		if key == "–" {
			key = cells[1]
		}
		docRows[key] = line
	}
	for _, r := range readCompatTable(t) {
		key := "`" + r.flag + "`"
		switch {
		case r.flag == "-":
			key = "`" + r.variable + "`"
		case r.flag == "NAME...":
			key = "`NAME...` (positional)"
		}
		var line string
		for k, l := range docRows {
			if strings.HasPrefix(k, key) {
				line = l
				delete(docRows, k)
				break
			}
		}
		if line == "" {
			t.Errorf("docs/configuration.md: no row for Watchtower's %s", r.name())
			continue
		}
		if r.short != "-" && !strings.Contains(line, "`"+r.short+"`") {
			t.Errorf("docs/configuration.md: the row of %s does not name its shorthand %s", r.flag, r.short)
		}
		if r.variable != "-" && !strings.Contains(line, "`"+r.variable+"`") {
			t.Errorf("docs/configuration.md: the row of %s does not name its variable %s", r.name(), r.variable)
		}
	}
	for k := range docRows {
		t.Errorf("docs/configuration.md: row %s is not in testdata/watchtower-compat.tsv", k)
	}
}

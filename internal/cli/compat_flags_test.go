package cli

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/cutover/cutover/internal/testenv"
)

// TestCompatTableMatchesTheFlags checks testdata/watchtower-compat.tsv
// against cutover's flags: it lists Watchtower's 63 flags, each is a flag of
// the root command with Watchtower's shorthand, each variable sets its flag,
// and every flag cutover has only for Watchtower is in it.
func TestCompatTableMatchesTheFlags(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "internal", "cli", "testdata", "watchtower-compat.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	root := newRoot(io.Discard, io.Discard)
	lookup := func(name string) *pflag.Flag {
		if f := root.Flags().Lookup(name); f != nil {
			return f
		}
		return root.PersistentFlags().Lookup(name)
	}
	var flags []string
	listed := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "flag\t") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 7 {
			t.Fatalf("line %d: %d columns, want 7", i+1, len(c))
		}
		flag, short, variable := c[0], c[1], c[2]
		switch {
		case flag == "NAME...":
			continue
		case flag == "-":
			if !slices.Contains([]string{"TZ", "REPO_USER", "REPO_PASS"}, variable) {
				t.Errorf("line %d: variable %s without a flag; cutover reads only TZ, REPO_USER and REPO_PASS so", i+1, variable)
			}
			continue
		}
		name := strings.TrimPrefix(flag, "--")
		flags = append(flags, name)
		listed[name] = true
		f := lookup(name)
		if f == nil {
			t.Errorf("%s: not a flag of cutover", flag)
			continue
		}
		if want := strings.TrimPrefix(short, "-"); f.Shorthand != want {
			t.Errorf("%s: shorthand %q, want Watchtower's %q", flag, f.Shorthand, want)
		}
		switch {
		case variable == "-":
			if envs := envNames(name); len(envs) != 0 {
				t.Errorf("%s: read from %v, want no variable, as in Watchtower", flag, envs)
			}
		case name == "host":
			// DOCKER_HOST reaches the Docker client directly.
		case !slices.Contains(envNames(name), variable):
			t.Errorf("%s: variables %v, want %s among them", flag, envNames(name), variable)
		}
	}
	if len(flags) != 63 {
		t.Errorf("the table lists %d flags, want Watchtower's 63", len(flags))
	}
	for name := range legacyFlags {
		if !listed[name] {
			t.Errorf("legacy flag --%s missing from the table", name)
		}
	}
	for name := range watchtowerOnlyFlags {
		if !listed[name] {
			t.Errorf("Watchtower-only flag --%s missing from the table", name)
		}
	}
}

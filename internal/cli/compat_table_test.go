package cli_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/testenv"
)

// compatRow is one Watchtower setting of testdata/watchtower-compat.tsv.
type compatRow struct {
	flag, short, variable, sample, group, check, effect string
}

// name says which setting a row is, for messages.
func (r compatRow) name() string {
	if r.flag != "-" {
		return r.flag
	}
	return r.variable
}

func readCompatTable(t *testing.T) []compatRow {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.RepoRoot(t), "internal", "cli", "testdata", "watchtower-compat.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []compatRow
	sc := bufio.NewScanner(f)
	header := true
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if header {
			header = false
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 7 {
			t.Fatalf("watchtower-compat.tsv line %d: %d columns, want 7: %q", n, len(c), line)
		}
		rows = append(rows, compatRow{c[0], c[1], c[2], c[3], c[4], c[5], c[6]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

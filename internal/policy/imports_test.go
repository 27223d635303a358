package policy

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The package decides and does no I/O: it imports only what computes.
func TestImportsNoIO(t *testing.T) {
	allowed := map[string]bool{"cmp": true, "errors": true, "fmt": true, "regexp": true, "slices": true, "strconv": true, "strings": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); !allowed[p] {
				t.Errorf("%s imports %s: got a dependency the policy package must not have, want only %v", f, p, allowed)
			}
		}
	}
}

package docker

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
)

func TestReadPull(t *testing.T) {
	stream := `{"status":"Pulling from app","id":"v1"}
{"status":"Downloading","progressDetail":{"current":10,"total":100},"id":"abc"}
{"status":"Extracting","progressDetail":{"current":100,"total":100},"id":"abc"}
`
	var got []engine.PullProgress
	if err := readPull(context.Background(), strings.NewReader(stream), func() {}, func(p engine.PullProgress) { got = append(got, p) }); err != nil {
		t.Fatal(err)
	}
	want := []engine.PullProgress{
		{Layer: "abc", Status: "Downloading", Current: 10, Total: 100},
		{Layer: "abc", Status: "Extracting", Current: 100, Total: 100},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}

	for _, failure := range []string{
		`{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}`,
		`{"error":"manifest unknown"}`,
	} {
		err := readPull(context.Background(), strings.NewReader(failure), func() {}, nil)
		if err == nil || err.Error() != "manifest unknown" {
			t.Errorf("readPull(%s) = %v, want manifest unknown", failure, err)
		}
	}
}

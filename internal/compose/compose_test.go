package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
)

func TestSetImageKeepsEverythingElse(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{
			name: "plain, with comments",
			in: `# the shop
services:
  web:   # front
    image: registry.example.com/shop/web:1.4   # pinned by hand
    ports:
      - "8080:80"
  api:
    image: registry.example.com/shop/api:1.4
`,
			want: `# the shop
services:
  web:   # front
    image: registry.example.com/shop/web:1.5   # pinned by hand
    ports:
      - "8080:80"
  api:
    image: registry.example.com/shop/api:1.4
`,
		},
		{
			name: "double quoted, CRLF",
			in:   "services:\r\n  web:\r\n    image: \"registry.example.com/shop/web:1.4\"\r\n    restart: always\r\n",
			want: "services:\r\n  web:\r\n    image: \"registry.example.com/shop/web:1.5\"\r\n    restart: always\r\n",
		},
		{
			name: "single quoted, deeper indent",
			in:   "services:\n      web:\n            image: 'registry.example.com/shop/web:1.4'\n",
			want: "services:\n      web:\n            image: 'registry.example.com/shop/web:1.5'\n",
		},
		{
			name: "flow mapping",
			in:   "services:\n  api: {image: registry.example.com/shop/api:1.4}\n  web: {image: registry.example.com/shop/web:1.4, restart: always}\n",
			want: "services:\n  api: {image: registry.example.com/shop/api:1.4}\n  web: {image: registry.example.com/shop/web:1.5, restart: always}\n",
		},
		{
			name: "no newline at the end",
			in:   "services:\n  web:\n    image: registry.example.com/shop/web:1.4",
			want: "services:\n  web:\n    image: registry.example.com/shop/web:1.5",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SetImage([]byte(tc.in), "web", "registry.example.com/shop/web:1.4", "registry.example.com/shop/web:1.5")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("rewritten file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetImageLeavesWhatOnlyAPersonCanRewrite(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		noImage  bool
	}{
		{name: "variable", in: "services:\n  web:\n    image: ${WEB_IMAGE:-registry.example.com/shop/web:1.4}\n"},
		{name: "anchor", in: "x-img: &img registry.example.com/shop/web:1.4\nservices:\n  web:\n    image: *img\n"},
		{name: "merged from an anchor", in: "x-web: &web\n  image: registry.example.com/shop/web:1.4\nservices:\n  web:\n    <<: *web\n"},
		{name: "changed since", in: "services:\n  web:\n    image: registry.example.com/shop/web:1.3\n"},
		{name: "folded", in: "services:\n  web:\n    image: >-\n      registry.example.com/shop/web:1.4\n"},
		{name: "not a string", in: "services:\n  web:\n    image: [registry.example.com/shop/web:1.4]\n"},
		{name: "no such service", in: "services:\n  api:\n    image: registry.example.com/shop/web:1.4\n", noImage: true},
		{name: "built", in: "services:\n  web:\n    build: .\n", noImage: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := SetImage([]byte(tc.in), "web", "registry.example.com/shop/web:1.4", "registry.example.com/shop/web:1.5")
			want := ErrUnchanged
			if tc.noImage {
				want = errNoImage
			}
			if !errors.Is(err, want) || out != nil {
				t.Errorf("got %q, %v; want no output and %v", out, err, want)
			}
		})
	}
	if _, err := SetImage([]byte("services: [\n"), "web", "", "registry.example.com/shop/web:1.5"); err == nil {
		t.Errorf("a file that is not YAML: got no error")
	}
	if _, err := SetImage([]byte("services:\n  web:\n    image: a:1\n"), "web", "", "bad ref with spaces"); err == nil {
		t.Errorf("a new image that is no reference: got no error")
	}
}

// TestFollowRewritesTheFileComposeReadsTheImageFrom gives a project a base
// file and an override that sets the image: the override is rewritten, in
// place (the same file, as a bind mount needs), and the base left.
func TestFollowRewritesTheFileComposeReadsTheImageFrom(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "compose.yml")
	override := filepath.Join(dir, "compose.override.yml")
	baseText := "services:\n  web:\n    image: registry.example.com/shop/web:1.0\n    restart: always\n"
	writeFile(t, base, baseText)
	writeFile(t, override, "services:\n  web:\n    # moved by cutover\n    image: registry.example.com/shop/web:1.4\n")
	before, _ := os.Stat(override)
	c := engine.Container{Name: "shop-web-1", Image: "registry.example.com/shop/web:1.4", Labels: map[string]string{
		engine.ComposeServiceLabel: "web",
		configFilesLabel:           "compose.yml,compose.override.yml",
		workingDirLabel:            dir,
	}}
	if err := Follow(context.Background(), c, "registry.example.com/shop/web:1.5"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, override); got != "services:\n  web:\n    # moved by cutover\n    image: registry.example.com/shop/web:1.5\n" {
		t.Errorf("override after Follow:\n%s", got)
	}
	if got := readFile(t, base); got != baseText {
		t.Errorf("base file changed:\n%s", got)
	}
	if after, _ := os.Stat(override); !os.SameFile(before, after) {
		t.Errorf("the override was replaced by another file; a bind-mounted file must be written in place")
	}

	c.Labels[configFilesLabel] = filepath.Join(dir, "missing.yml")
	if err := Follow(context.Background(), c, "registry.example.com/shop/web:1.6"); !errors.Is(err, ErrUnchanged) {
		t.Errorf("file not mounted: got %v, want ErrUnchanged", err)
	}
	delete(c.Labels, configFilesLabel)
	if err := Follow(context.Background(), c, "registry.example.com/shop/web:1.6"); !errors.Is(err, ErrUnchanged) {
		t.Errorf("container without Compose labels: got %v, want ErrUnchanged", err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

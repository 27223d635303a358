package testenv

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestConfigFor(t *testing.T) {
	tests := []struct {
		name  string
		spec  ImageSpec
		check func(t *testing.T, c containerConfig)
	}{
		{
			name: "minimal",
			spec: ImageSpec{},
			check: func(t *testing.T, c containerConfig) {
				want := containerConfig{
					Env:        []string{defaultPath},
					Entrypoint: []string{"/app"},
					Labels:     map[string]string{"cutover.test": "1", "cutover.test.build": "b1"},
				}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("got %+v, want %+v", c, want)
				}
			},
		},
		{
			name: "default health interval",
			spec: ImageSpec{Healthcheck: true},
			check: func(t *testing.T, c containerConfig) {
				want := &healthConfig{Test: []string{"CMD", "/app", "health"}, Interval: 30 * time.Second, Timeout: 5 * time.Second}
				if !reflect.DeepEqual(c.Healthcheck, want) {
					t.Errorf("Healthcheck: got %+v, want %+v", c.Healthcheck, want)
				}
			},
		},
		{
			name: "interval implies healthcheck",
			spec: ImageSpec{HealthInterval: "1s"},
			check: func(t *testing.T, c containerConfig) {
				if c.Healthcheck == nil || c.Healthcheck.Interval != time.Second {
					t.Errorf("Healthcheck: got %+v, want interval 1s", c.Healthcheck)
				}
			},
		},
		{
			name: "env keeps values verbatim and PATH when given",
			spec: ImageSpec{Env: []string{"PATH=/bin", `A=x "y" $HOME`}},
			check: func(t *testing.T, c containerConfig) {
				if want := []string{"PATH=/bin", `A=x "y" $HOME`}; !reflect.DeepEqual(c.Env, want) {
					t.Errorf("Env: got %q, want %q", c.Env, want)
				}
			},
		},
		{
			name: "settings",
			spec: ImageSpec{
				Cmd: []string{"serve"}, Volumes: []string{"/data"}, Expose: []string{"8000", "9000/udp"},
				WorkDir: "/w", User: "1000:1000", StopSignal: "SIGUSR1", Labels: map[string]string{"a": "b"},
			},
			check: func(t *testing.T, c containerConfig) {
				got := []any{c.Cmd, c.Volumes, c.ExposedPorts, c.WorkingDir, c.User, c.StopSignal, c.Labels["a"]}
				want := []any{
					[]string{"serve"}, map[string]struct{}{"/data": {}},
					map[string]struct{}{"8000/tcp": {}, "9000/udp": {}}, "/w", "1000:1000", "SIGUSR1", "b",
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := configFor(tt.spec, "b1")
			if err != nil {
				t.Fatalf("configFor: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestConfigForRejects(t *testing.T) {
	for _, spec := range []ImageSpec{
		{Env: []string{"NOVALUE"}},
		{Env: []string{"=x"}},
		{HealthInterval: "soon"},
	} {
		if _, err := configFor(spec, "b1"); err == nil {
			t.Errorf("configFor(%+v): got no error, want one", spec)
		}
	}
}

// TestWriteImageArchive checks the archive against what docker load reads:
// the manifest names the config, the config's name is the image ID, and each
// layer's sha256 is its DiffID.
func TestWriteImageArchive(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	id, err := writeImageArchive(&buf, "r/x:v1", ImageSpec{ExtraLayers: 2}, bin, "b1")
	if err != nil {
		t.Fatalf("writeImageArchive: %v", err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	var manifest []loadManifest
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json %s: %v", files["manifest.json"], err)
	}
	m := manifest[0]
	if want := []string{"r/x:v1"}; !reflect.DeepEqual(m.RepoTags, want) {
		t.Errorf("RepoTags: got %v, want %v", m.RepoTags, want)
	}
	if m.Config != id[len("sha256:"):]+".json" || hexSum(files[m.Config]) != id[len("sha256:"):] {
		t.Errorf("config %s: want it named and hashed as image ID %s", m.Config, id)
	}
	var img imageConfig
	if err := json.Unmarshal(files[m.Config], &img); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 3 || len(img.RootFS.DiffIDs) != 3 || len(img.History) != 3 {
		t.Fatalf("got %d layers, %d diff IDs, %d history entries, want 3 each", len(m.Layers), len(img.RootFS.DiffIDs), len(img.History))
	}
	for i, l := range m.Layers {
		if got := "sha256:" + hexSum(files[l]); got != img.RootFS.DiffIDs[i] {
			t.Errorf("layer %d: got sha256 %s, want DiffID %s", i, got, img.RootFS.DiffIDs[i])
		}
	}
	// The app layer must not vary between images, so it is stored once.
	var again bytes.Buffer
	if _, err := writeImageArchive(&again, "r/y:v2", ImageSpec{}, bin, "b2"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(again.Bytes(), files[m.Layers[0]]) {
		t.Errorf("app layer differs between two images of the same binary, want identical")
	}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

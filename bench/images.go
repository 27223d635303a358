package bench

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// appBinaries compiles the test app (testdata/app) once per version, static
// and for Linux, as the images are FROM scratch.
func appBinaries(ctx context.Context, appDir, outDir string, versions ...string) (map[string][]byte, error) {
	out := map[string][]byte{}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for _, v := range versions {
		path := filepath.Join(outDir, "app-"+v)
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
			"-ldflags", "-s -w -X main.version="+v, "-o", path, ".")
		cmd.Dir = appDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s at %s: %v\n%s", appDir, v, err, msg)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out[v] = b
	}
	return out, nil
}

// imageSpec is one version of one bench image.
type imageSpec struct {
	ref    string // repository:tag, through the counting proxy
	binary []byte // the app, answering its version on /
	// healthcheck adds HEALTHCHECK CMD ["/app","health"] with the engine's
	// defaults (30 s interval), as images usually ship it.
	healthcheck bool
	labels      map[string]string
}

// pushImage builds the image FROM scratch with the app as entrypoint and
// pushes it; the engine pulls it from the registry like any release.
// It returns the manifest digest.
func pushImage(ctx context.Context, spec imageSpec) (string, error) {
	ref, err := name.NewTag(spec.ref, name.Insecure)
	if err != nil {
		return "", err
	}
	layer, err := appLayer(spec.binary)
	if err != nil {
		return "", err
	}
	cfg := v1.Config{
		Entrypoint:   []string{"/app"},
		Labels:       spec.labels,
		ExposedPorts: map[string]struct{}{"8000/tcp": {}},
	}
	if spec.healthcheck {
		cfg.Healthcheck = &v1.HealthConfig{Test: []string{"CMD", "/app", "health"}}
	}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Config:       cfg,
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return "", err
	}
	img, err = mutate.AppendLayers(img, layer)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithUserAgent(benchUserAgent)); err != nil {
		return "", fmt.Errorf("push %s: %w", spec.ref, err)
	}
	d, err := img.Digest()
	return d.String(), err
}

// benchUserAgent tells the proxy that a request is the bench's own.
const benchUserAgent = "cutover-bench"

// deleteManifest removes "repository@digest" from the registry, so bench
// manifests do not pile up there.
func deleteManifest(ctx context.Context, ref string) error {
	d, err := name.NewDigest(ref, name.Insecure)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return remote.Delete(d, remote.WithContext(ctx), remote.WithUserAgent(benchUserAgent))
}

// appLayer is a layer holding the binary as /app.
func appLayer(binary []byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "app", Mode: 0o755, Size: int64(len(binary)), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(binary); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// appBinary returns the path of testdata/app compiled for the engine with the
// given version and build-time mode.
//
// Binaries are kept in a directory under os.TempDir, named by a hash of the
// app's source, the toolchain and the two build values. A test process thus
// compiles each (version, mode) at most once, and later processes, including
// the other packages that go test runs in parallel, reuse the result; a
// change to the app's source changes the name, so a stale binary is never
// used.
func appBinary(t testing.TB, version, mode string) string {
	t.Helper()
	root := RepoRoot(t)
	key, err := appKey(filepath.Join(root, "testdata", "app"), version, mode)
	if err != nil {
		t.Fatalf("hashing testdata/app: %v", err)
	}
	dir := filepath.Join(os.TempDir(), "cutover-testenv-app")
	out := filepath.Join(dir, key)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("binary cache: %v", err)
	}

	// Build under a unique name and rename, which is atomic: a concurrent
	// builder of the same key or a killed build never leaves a partial file
	// under the final name.
	tmp := out + ".tmp-" + randomHex(t, 8)
	defer os.Remove(tmp)
	ldflags := "-s -w -X main.version=" + version
	if mode != "" {
		ldflags += " -X main.defaultMode=" + mode
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// No VCS stamp: the app needs none, and stamping fails where git cannot
	// read the repository (another owner, a shallow or broken clone).
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", tmp, "./testdata/app")
	cmd.Dir = root
	// The image is FROM scratch: the binary must be static and for Linux.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building testdata/app %s: %v\n%s", version, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatalf("binary cache: %v", err)
	}
	return out
}

// appKey hashes everything that decides the content of the app binary.
func appKey(src, version, mode string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", runtime.Version(), runtime.GOARCH, version, mode)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", strings.TrimPrefix(path, src), len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

// RepoRoot finds the module root by walking up from the working directory,
// which go test sets to the directory of the package under test.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("repository root: %v", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}

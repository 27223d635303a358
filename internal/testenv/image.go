package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ImageSpec describes a test image: testdata/app plus Dockerfile settings.
// Only Repo is required.
type ImageSpec struct {
	// Repo is the full repository including the registry host, for example
	// 127.0.0.1:5000/cutover-test/app-1a2b3c4d. Use Name for the last part so
	// parallel tests never share a repository.
	Repo string
	// Tag defaults to "latest".
	Tag string
	// Version is what the app answers on /; it defaults to Tag.
	Version string
	// Healthcheck adds HEALTHCHECK --interval=30s --timeout=5s
	// CMD ["/app","health"].
	Healthcheck bool
	// HealthInterval overrides the interval, for example "1s", and implies
	// Healthcheck.
	HealthInterval string
	// StopSignal sets STOPSIGNAL, for example "SIGUSR1".
	StopSignal string
	// Env holds KEY=VALUE pairs for ENV.
	Env []string
	// Labels are set with LABEL.
	Labels map[string]string
	// Volumes are paths declared with VOLUME.
	Volumes []string
	// Expose holds ports for EXPOSE, for example "8000" or "9000/udp".
	Expose []string
	// Cmd is the CMD, passed to the app as arguments.
	Cmd []string
	// Mode is the app's build-time mode ("crash", "unhealthy", "slowstart"),
	// which wins over APP_MODE in the container's environment.
	Mode string
	// WorkDir sets WORKDIR.
	WorkDir string
	// User sets USER; a scratch image has no /etc/passwd, so use numeric ids.
	User string
	// ExtraLayers adds that many layers of 1 to 4 MiB of random data, so a
	// pull has several layers to report progress on.
	ExtraLayers int
}

// pushedDigest finds the manifest digest in docker push output, whose last
// line reads "TAG: digest: sha256:... size: N".
var pushedDigest = regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`)

// BuildAndPush builds the image spec describes, pushes it and returns its
// reference "repo:tag" and the manifest digest the registry stored. When the
// test ends, the local image is removed, after any container still using it.
//
// Every build gets a unique label, so two builds never share an image ID or
// a digest: the cleanup can then remove the image by ID without touching
// another test's image, and each push is a new digest, like a real release.
func BuildAndPush(t testing.TB, spec ImageSpec) (ref string, digest string) {
	t.Helper()
	RequireEngine(t)
	RequireRegistries(t)
	if spec.Repo == "" {
		t.Fatalf("BuildAndPush: ImageSpec.Repo is empty")
	}
	if spec.Tag == "" {
		spec.Tag = "latest"
	}
	if spec.Version == "" {
		spec.Version = spec.Tag
	}
	// The two values are passed through -ldflags -X, which splits on space
	// and interprets quotes.
	for _, v := range []string{spec.Version, spec.Mode} {
		if strings.ContainsAny(v, " \t\n'\"") {
			t.Fatalf("BuildAndPush: version or mode %q: must not contain spaces or quotes", v)
		}
	}
	ref = spec.Repo + ":" + spec.Tag

	dir := t.TempDir()
	bin := appBinary(t, spec.Version, spec.Mode)
	if err := linkOrCopy(bin, filepath.Join(dir, "app")); err != nil {
		t.Fatalf("BuildAndPush %s: %v", ref, err)
	}
	for i := 1; i <= spec.ExtraLayers; i++ {
		if err := writeRandomLayer(filepath.Join(dir, fmt.Sprintf("layer-%d.bin", i))); err != nil {
			t.Fatalf("BuildAndPush %s: %v", ref, err)
		}
	}
	dockerfile, err := renderDockerfile(spec)
	if err != nil {
		t.Fatalf("BuildAndPush %s: %v", ref, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatalf("BuildAndPush %s: %v", ref, err)
	}

	ctx, cancel := dockerCtx()
	defer cancel()
	iidFile := filepath.Join(dir, "iid")
	// The classic builder works with every engine and CLI version we meet;
	// BuildKit needs the buildx plugin, which Debian's CLI lacks.
	build := dockerOpts{env: []string{"DOCKER_BUILDKIT=0"}}
	if _, err := runDocker(ctx, build, "build", "--quiet", "--iidfile", iidFile,
		"--label", TestLabel, "--label", "cutover.test.build="+randomHex(t, 8),
		"-t", ref, dir); err != nil {
		t.Fatalf("BuildAndPush %s: %v", ref, err)
	}
	iid, err := os.ReadFile(iidFile)
	if err != nil {
		t.Fatalf("BuildAndPush %s: image id: %v", ref, err)
	}
	imageID := strings.TrimSpace(string(iid))
	t.Cleanup(func() { removeImage(t, imageID, ref) })

	push := dockerOpts{}
	if registryHost(spec.Repo) == AuthRegistry {
		push.config = login(t)
	}
	out, err := runDocker(ctx, push, "push", ref)
	if err != nil {
		t.Fatalf("BuildAndPush %s: %v", ref, err)
	}
	if m := pushedDigest.FindStringSubmatch(out); m != nil {
		return ref, m[1]
	}
	return ref, repoDigest(t, ref, spec.Repo)
}

// repoDigest is the fallback when push output changes format: the engine
// records the pushed digest as a RepoDigest of the image.
func repoDigest(t testing.TB, ref, repo string) string {
	t.Helper()
	out := Docker(t, "image", "inspect", "--format", "{{json .RepoDigests}}", ref)
	var digests []string
	if err := json.Unmarshal([]byte(out), &digests); err != nil {
		t.Fatalf("BuildAndPush %s: RepoDigests %q: %v", ref, out, err)
	}
	for _, d := range digests {
		if r, dg, ok := strings.Cut(d, "@"); ok && r == repo {
			return dg
		}
	}
	t.Fatalf("BuildAndPush %s: no digest in push output or RepoDigests %v", ref, digests)
	return ""
}

// removeImage removes the test's image by ID, which also drops any tag or
// digest reference that cutover added while pulling it. The ID is unique to
// this build, so no other test's image can be affected.
//
// Containers still using the image go first. They can only be this test's:
// nobody else knows the image. They exist when a test runs an old image and
// builds the new one afterwards, so this cleanup runs before RunContainer's.
func removeImage(t testing.TB, imageID, ref string) {
	t.Helper()
	ctx, cancel := dockerCtx()
	defer cancel()
	users, err := runDocker(ctx, dockerOpts{}, "ps", "--all", "--quiet", "--no-trunc", "--filter", "ancestor="+imageID)
	if err != nil {
		t.Errorf("cleanup of image %s: %v", ref, err)
		return
	}
	removeContainerIDs(t, "image "+ref, strings.Fields(users))
	if _, err := runDocker(ctx, dockerOpts{}, "image", "rm", "--force", imageID); err != nil &&
		!strings.Contains(err.Error(), "No such image") {
		t.Errorf("cleanup of image %s (%s): %v", ref, imageID, err)
	}
}

// login logs in to AuthRegistry with a docker config directory private to the
// test, so the user's own credentials are neither used nor changed.
func login(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := dockerCtx()
	defer cancel()
	o := dockerOpts{config: dir, stdin: strings.NewReader(AuthPassword)}
	if _, err := runDocker(ctx, o, "login", AuthRegistry, "-u", AuthUser, "--password-stdin"); err != nil {
		t.Fatalf("login to %s: %v", AuthRegistry, err)
	}
	return dir
}

// registryHost returns the registry part of a repository name.
func registryHost(repo string) string {
	host, _, _ := strings.Cut(repo, "/")
	return host
}

func renderDockerfile(spec ImageSpec) (string, error) {
	var b strings.Builder
	b.WriteString("FROM scratch\nCOPY app /app\n")
	for i := 1; i <= spec.ExtraLayers; i++ {
		// One COPY per file: each makes its own layer.
		fmt.Fprintf(&b, "COPY layer-%d.bin /layers/%d.bin\n", i, i)
	}
	for _, kv := range spec.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return "", fmt.Errorf("env %q: want KEY=VALUE", kv)
		}
		q, err := quote(v)
		if err != nil {
			return "", fmt.Errorf("env %s: %w", k, err)
		}
		fmt.Fprintf(&b, "ENV %s=%s\n", k, q)
	}
	keys := make([]string, 0, len(spec.Labels))
	for k := range spec.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		qk, err := quote(k)
		if err != nil {
			return "", fmt.Errorf("label %s: %w", k, err)
		}
		qv, err := quote(spec.Labels[k])
		if err != nil {
			return "", fmt.Errorf("label %s: %w", k, err)
		}
		fmt.Fprintf(&b, "LABEL %s=%s\n", qk, qv)
	}
	if len(spec.Volumes) > 0 {
		fmt.Fprintf(&b, "VOLUME %s\n", jsonArray(spec.Volumes))
	}
	if len(spec.Expose) > 0 {
		fmt.Fprintf(&b, "EXPOSE %s\n", strings.Join(spec.Expose, " "))
	}
	if spec.WorkDir != "" {
		fmt.Fprintf(&b, "WORKDIR %s\n", spec.WorkDir)
	}
	if spec.User != "" {
		fmt.Fprintf(&b, "USER %s\n", spec.User)
	}
	if spec.StopSignal != "" {
		fmt.Fprintf(&b, "STOPSIGNAL %s\n", spec.StopSignal)
	}
	if spec.Healthcheck || spec.HealthInterval != "" {
		interval := spec.HealthInterval
		if interval == "" {
			interval = "30s"
		}
		fmt.Fprintf(&b, "HEALTHCHECK --interval=%s --timeout=5s CMD [\"/app\",\"health\"]\n", interval)
	}
	b.WriteString("ENTRYPOINT [\"/app\"]\n")
	if len(spec.Cmd) > 0 {
		fmt.Fprintf(&b, "CMD %s\n", jsonArray(spec.Cmd))
	}
	return b.String(), nil
}

// quote makes s one Dockerfile word: double quotes keep spaces, and the
// escapes stop the builder from expanding $VARS.
func quote(s string) (string, error) {
	if strings.ContainsAny(s, "\n\r") {
		return "", fmt.Errorf("%q: newlines cannot be written to a Dockerfile", s)
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`)
	return `"` + r.Replace(s) + `"`, nil
}

// jsonArray writes the exec form of CMD and VOLUME, which the builder parses
// as JSON.
func jsonArray(s []string) string {
	b, _ := json.Marshal(s) // a []string always marshals
	return string(b)
}

func writeRandomLayer(path string) error {
	n, err := rand.Int(rand.Reader, big.NewInt(3<<20))
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	// Random bytes do not compress, so the layer's size on the wire is real.
	if _, err := io.CopyN(f, rand.Reader, 1<<20+n.Int64()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// linkOrCopy puts the cached binary into the build context; a hard link
// avoids copying it for every image.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}

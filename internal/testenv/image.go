package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ImageSpec describes a test image: testdata/app plus the settings a
// Dockerfile would give it.
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

// BuildAndPush makes the image spec describes, pushes it and returns its
// reference "repo:tag" and the manifest digest the registry stored. When the
// test ends, the local image is removed, after any container still using it.
//
// The image is what a Dockerfile FROM scratch with COPY app /app,
// ENTRYPOINT ["/app"] and the spec's options would build, labelled
// cutover.test=1, but it is loaded rather than built (see archive.go). Every
// image gets a unique label too, so two calls never share an image ID or a
// digest: the cleanup can then remove the image by ID without touching
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

	bin := appBinary(t, spec.Version, spec.Mode)
	archive, err := os.Create(filepath.Join(t.TempDir(), "image.tar"))
	if err != nil {
		t.Fatalf("BuildAndPush %s: %v", ref, err)
	}
	buildID := randomHex(t, 16)
	imageID, err := writeImageArchive(archive, ref, spec, bin, buildID)
	if cerr := archive.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("BuildAndPush %s: %v", ref, err)
	}
	ctx, cancel := dockerCtx()
	defer cancel()
	t.Cleanup(func() {
		removeImage(t, shared(), []string{imageID}, ref)
		removeFromCurrent(t, buildID, ref)
	})
	if _, err := runDocker(ctx, dockerOpts{}, "load", "--quiet", "--input", archive.Name()); err != nil {
		t.Fatalf("BuildAndPush %s: %v", ref, err)
	}

	push := dockerOpts{}
	if registryHost(spec.Repo) == AuthRegistry {
		push.config = login(t)
	}
	// docker push sends what the tag names when it starts: a cutover swap
	// on the same engine may have pointed the tag back at the image it
	// planned since the load. The push is checked against the image loaded,
	// and made again if it sent another.
	for try := 1; ; try++ {
		out, err := runDocker(ctx, push, "push", ref)
		if err != nil {
			t.Fatalf("BuildAndPush %s: %v", ref, err)
		}
		digest := ""
		if m := pushedDigest.FindStringSubmatch(out); m != nil {
			digest = m[1]
		} else {
			digest = repoDigest(t, ref, spec.Repo)
		}
		if pushedImage(t, imageID, spec.Repo, digest) || try == 5 {
			return ref, digest
		}
		if _, err := runDocker(ctx, dockerOpts{}, "tag", imageID, ref); err != nil {
			t.Fatalf("BuildAndPush %s: tag again: %v", ref, err)
		}
	}
}

// pushedImage reports whether the manifest digest pushed to repo is that of
// image: the engine records a push among the image's RepoDigests.
func pushedImage(t testing.TB, image, repo, digest string) bool {
	t.Helper()
	out, err := shared().TryDocker("image", "inspect", "--format", "{{json .RepoDigests}}", image)
	if err != nil {
		return false
	}
	var digests []string
	if json.Unmarshal([]byte(out), &digests) != nil {
		return false
	}
	return slices.Contains(digests, repo+"@"+digest)
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

// removeImage removes the test's image from engine by ID, which also drops
// any tag or digest reference that cutover added while pulling it. The ID is
// unique to this build, so no other test's image can be affected.
//
// Containers still using the image go first. They can only be this test's:
// nobody else knows the image. They exist when a test runs an old image and
// builds the new one afterwards, so this cleanup runs before RunContainer's.
func removeImage(t testing.TB, e *Engine, ids []string, ref string) {
	t.Helper()
	ctx, cancel := dockerCtx()
	defer cancel()
	for _, id := range ids {
		users, err := e.run(ctx, dockerOpts{}, "ps", "--all", "--quiet", "--no-trunc", "--filter", "ancestor="+id)
		if err != nil {
			t.Errorf("cleanup of image %s on the %s engine: %v", ref, e.Name, err)
			return
		}
		e.removeContainerIDs(t, "image "+ref, strings.Fields(users))
		if _, err := e.run(ctx, dockerOpts{}, "image", "rm", "--force", id); err != nil &&
			!strings.Contains(err.Error(), "No such image") {
			t.Errorf("cleanup of image %s (%s) on the %s engine: %v", ref, id, e.Name, err)
		}
	}
}

// removeFromCurrent removes the image of one build from the current engine,
// where a test or cutover may have pulled it. Its ID differs there (the
// containerd image store names an image by its manifest's digest), so it is
// found by the label unique to the build.
func removeFromCurrent(t testing.TB, buildID, ref string) {
	t.Helper()
	if !currentUp() {
		return
	}
	e := engineAt(CurrentName, CurrentHost)
	ctx, cancel := dockerCtx()
	defer cancel()
	out, err := e.run(ctx, dockerOpts{}, "image", "ls", "--all", "--quiet", "--no-trunc",
		"--filter", "label=cutover.test.build="+buildID)
	if err != nil {
		// A current engine that does not answer holds nothing to remove;
		// the tests that used it say what is wrong.
		return
	}
	ids := strings.Fields(out)
	slices.Sort(ids)
	removeImage(t, e, slices.Compact(ids), ref)
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

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cli"
	"github.com/cutover/cutover/internal/testenv"
)

// result is what a user sees of one cutover command.
type result struct {
	stdout, stderr string
	code           int
}

// cutover runs the command line in-process, with a private data directory
// and fast health gates, and returns what it printed.
func cutover(t *testing.T, args ...string) result {
	t.Helper()
	return cutoverIn(t, t.TempDir(), args...)
}

// cutoverIn is cutover with the data directory given, for commands that
// must see what earlier ones kept (the journal, held versions).
func cutoverIn(t *testing.T, data string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	full := append([]string{"--data-dir", data, "--health-grace", "1s", "--health-timeout", "30s"}, args...)
	code := cli.Run(ctx, full, &out, &errOut)
	t.Logf("cutover %s -> exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return result{out.String(), errOut.String(), code}
}

// checkJSON runs cutover check --json and decodes it.
func checkJSON(t *testing.T, names ...string) []group {
	t.Helper()
	return checkJSONIn(t, t.TempDir(), names...)
}

// checkJSONIn is checkJSON with the data directory given; args may carry
// flags before the names.
func checkJSONIn(t *testing.T, data string, args ...string) []group {
	t.Helper()
	r := cutoverIn(t, data, append([]string{"check", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("cutover check: exit %d: %s", r.code, r.stderr)
	}
	var gs []group
	if err := json.Unmarshal([]byte(r.stdout), &gs); err != nil {
		t.Fatalf("cutover check --json printed invalid JSON: %v\n%s", err, r.stdout)
	}
	return gs
}

type group struct {
	Image        string      `json:"image"`
	RemoteDigest string      `json:"remote_digest"`
	Status       string      `json:"status"`
	Reason       string      `json:"reason"`
	Containers   []container `json:"containers"`
}

type container struct {
	ID               string `json:"container_id"`
	Name             string `json:"container_name"`
	LocalDigest      string `json:"local_digest"`
	Status           string `json:"status"`
	Reason           string `json:"reason"`
	AutoUpdate       bool   `json:"auto_update"`
	Kind             string `json:"kind"`
	Tasks            string `json:"tasks"`
	Policy           string `json:"policy"`
	CurrentVersion   string `json:"current_version"`
	OfferedVersion   string `json:"offered_version"`
	OfferedReference string `json:"offered_reference"`
	OfferedDigest    string `json:"offered_digest"`
	OfferedCreated   string `json:"offered_created"`
	CooldownUntil    string `json:"cooldown_until"`
	ReleaseURL       string `json:"release_url"`
	Pinned           bool   `json:"pinned"`
	Held             bool   `json:"held"`
	Skipped          bool   `json:"skipped"`
	HeldReason       string `json:"held_reason"`
}

// findContainer returns the check row of the named container.
func findContainer(t *testing.T, gs []group, name string) (group, container) {
	t.Helper()
	for _, g := range gs {
		for _, c := range g.Containers {
			if c.Name == name {
				return g, c
			}
		}
	}
	t.Fatalf("container %s not in check output %+v", name, gs)
	return group{}, container{}
}

// imagePair pushes v1 of a fresh repository, returning its reference, and a
// function that pushes v2 (with the given changes) to the same tag.
func imagePair(t *testing.T, registry string, v1 testenv.ImageSpec) (ref, digest1 string, pushV2 func(testenv.ImageSpec) string) {
	t.Helper()
	if v1.Repo == "" {
		v1.Repo = registry + "/cutover-test/" + testenv.Name(t, "app")
	}
	if v1.Version == "" {
		v1.Version = "v1"
	}
	ref, digest1 = testenv.BuildAndPush(t, v1)
	return ref, digest1, func(v2 testenv.ImageSpec) string {
		v2.Repo, v2.Tag = v1.Repo, v1.Tag
		if v2.Version == "" {
			v2.Version = "v2"
		}
		_, d := testenv.BuildAndPush(t, v2)
		return d
	}
}

func short(d string) string { return d[:17] }

// containerID returns the current id of the named container.
func containerID(t *testing.T, name string) string {
	return testenv.Docker(t, "inspect", "--format", "{{.Id}}", name)
}

// namesLike lists containers whose name starts with prefix.
func namesLike(t *testing.T, prefix string) []string {
	out := testenv.Docker(t, "ps", "-a", "--format", "{{.Names}}", "--filter", "name="+prefix)
	var names []string
	for _, n := range strings.Fields(out) {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	return names
}

// freeSubnet picks a /24 unlikely to clash with the engine's own networks:
// those come from 172.17-31.0.0/16 and 192.168.0.0/16, whole /16s at a
// time, and other packages' tests use 10.213 and 10.215.
func freeSubnet() (subnet, ip string) {
	n := 1 + rand.IntN(254)
	return fmt.Sprintf("10.214.%d.0/24", n), fmt.Sprintf("10.214.%d.42", n)
}

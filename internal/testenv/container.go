package testenv

import (
	"strings"
	"testing"
	"time"
)

// SwapLabel is the label cutover puts on a container it creates to replace
// another; its value is the replaced container's name.
const SwapLabel = "cutover.swap.of"

// RunContainer runs a container on the shared engine; see
// Engine.RunContainer.
func RunContainer(t testing.TB, name string, args ...string) string {
	t.Helper()
	return shared().RunContainer(t, name, args...)
}

// RunContainer runs docker run -d --name name --label cutover.test=1 args...
// and returns the container ID; args end with the image and its command.
//
// When the test ends, the container is force-removed with its anonymous
// volumes, and so is every container cutover made from it: those named name
// followed by "-cutover" (the copies it renames aside or creates temporarily)
// and those labelled cutover.swap.of=name. name should come from Name, so
// that these patterns cannot match another test's containers.
func (e *Engine) RunContainer(t testing.TB, name string, args ...string) string {
	t.Helper()
	// Registered before the run: a run that fails after creating the
	// container (a port already taken, say) must not leave it behind.
	t.Cleanup(func() { e.removeContainers(t, name) })
	return e.Docker(t, append([]string{"run", "-d", "--name", name, "--label", TestLabel}, args...)...)
}

// removeContainers removes the containers RunContainer promised to clean up.
func (e *Engine) removeContainers(t testing.TB, name string) {
	t.Helper()
	ids, err := e.containersOf(name)
	if err != nil {
		t.Errorf("cleanup of container %s: %v", name, err)
		return
	}
	e.removeContainerIDs(t, "container "+name, ids)
}

// removeContainerIDs force-removes containers with their anonymous volumes.
// After a failed test it first logs their output, which is usually what
// explains the failure.
func (e *Engine) removeContainerIDs(t testing.TB, of string, ids []string) {
	t.Helper()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := dockerCtx()
	defer cancel()
	if t.Failed() {
		for _, id := range ids {
			logs, _ := e.run(ctx, dockerOpts{}, "logs", "--tail", "30", id)
			t.Logf("container %s (of %s), last output:\n%s", shortID(id), of, logs)
		}
	}
	_, err := e.run(ctx, dockerOpts{}, append([]string{"rm", "--force", "--volumes"}, ids...)...)
	if err != nil && !strings.Contains(err.Error(), "No such container") {
		t.Errorf("cleanup of %s: %v", of, err)
	}
}

// containersOf lists the IDs of name's container and of the containers cutover
// derived from it.
func (e *Engine) containersOf(name string) ([]string, error) {
	ctx, cancel := dockerCtx()
	defer cancel()
	// The engine's name filter matches substrings as a regular expression,
	// so the exact rule is applied here.
	out, err := e.run(ctx, dockerOpts{}, "ps", "--all", "--no-trunc",
		"--filter", "name="+name, "--format", "{{.ID}} {{.Names}}")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, line := range strings.Split(out, "\n") {
		id, n, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		if (n == name || strings.HasPrefix(n, name+"-cutover")) && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	out, err = e.run(ctx, dockerOpts{}, "ps", "--all", "--no-trunc", "--quiet",
		"--filter", "label="+SwapLabel+"="+name)
	if err != nil {
		return nil, err
	}
	for _, id := range strings.Fields(out) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// CreateNetwork creates a network on the shared engine; see
// Engine.CreateNetwork.
func CreateNetwork(t testing.TB, name string, args ...string) {
	t.Helper()
	shared().CreateNetwork(t, name, args...)
}

// CreateNetwork runs docker network create --label cutover.test=1 args... name
// and removes the network when the test ends.
func (e *Engine) CreateNetwork(t testing.TB, name string, args ...string) {
	t.Helper()
	t.Cleanup(func() { e.removeWithRetry(t, "network", name, "network", "rm", name) })
	e.Docker(t, append(append([]string{"network", "create", "--label", TestLabel}, args...), name)...)
}

// CreateVolume creates a volume on the shared engine; see
// Engine.CreateVolume.
func CreateVolume(t testing.TB, name string) {
	t.Helper()
	shared().CreateVolume(t, name)
}

// CreateVolume creates the named volume and removes it when the test ends.
func (e *Engine) CreateVolume(t testing.TB, name string) {
	t.Helper()
	t.Cleanup(func() { e.removeWithRetry(t, "volume", name, "volume", "rm", "--force", name) })
	e.Docker(t, "volume", "create", "--label", TestLabel, name)
}

// removeWithRetry runs a removal a few times: a network or volume can stay
// in use for a moment after its containers were removed.
func (e *Engine) removeWithRetry(t testing.TB, kind, name string, args ...string) {
	t.Helper()
	var err error
	for range 10 {
		ctx, cancel := dockerCtx()
		_, err = e.run(ctx, dockerOpts{}, args...)
		cancel()
		if err == nil || strings.Contains(strings.ToLower(err.Error()), "no such") ||
			strings.Contains(err.Error(), "not found") {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Errorf("cleanup of %s %s on the %s engine: %v", kind, name, e.Name, err)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

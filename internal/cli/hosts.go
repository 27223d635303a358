package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cutover/cutover/internal/docker"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/fleet"
)

// hostSpec is one engine cutover watches: its name and address.
type hostSpec struct {
	name string
	// addr is the engine's address; "" is DOCKER_HOST's, or the default
	// socket.
	addr string
	// named says the name was given (NAME=ADDRESS), not taken by default.
	named bool
}

// hostSpecs reads the repeatable --host, else CUTOVER_HOSTS (entries
// separated by commas, spaces or new lines), into the engines to watch.
// An entry is NAME=ADDRESS or ADDRESS; an unnamed one is called local, so
// at most one may be unnamed. No entry at all is the one engine DOCKER_HOST
// or the default socket names.
func (g *globalOptions) hostSpecs() ([]hostSpec, error) {
	entries := g.hosts
	source := "--host"
	if len(entries) == 0 {
		if v := os.Getenv("CUTOVER_HOSTS"); strings.TrimSpace(v) != "" {
			entries = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
			source = "CUTOVER_HOSTS"
		}
	}
	if len(entries) == 0 {
		return []hostSpec{{name: engine.LocalHost}}, nil
	}
	var out []hostSpec
	seen := map[string]bool{}
	for _, e := range entries {
		s := parseHostSpec(strings.TrimSpace(e))
		if s.addr == "" {
			return nil, fmt.Errorf("%s %q: no engine address (want NAME=ADDRESS or ADDRESS, e.g. web1=tcp://10.0.0.5:2376)", source, e)
		}
		if !strings.Contains(s.addr, "://") {
			return nil, fmt.Errorf("%s %q: %q is not an engine address (want unix://PATH, tcp://HOST:PORT or ssh://USER@HOST)", source, e, s.addr)
		}
		if err := fleet.CheckName(s.name); err != nil {
			return nil, fmt.Errorf("%s %q: %w", source, e, err)
		}
		if seen[s.name] {
			if !s.named {
				return nil, fmt.Errorf("%s %q: a second engine without a name; name each engine as NAME=ADDRESS", source, e)
			}
			return nil, fmt.Errorf("%s %q: engine name %q is given twice", source, e, s.name)
		}
		seen[s.name] = true
		out = append(out, s)
	}
	return out, nil
}

// parseHostSpec reads NAME=ADDRESS, or an ADDRESS alone (named local). An
// address may hold '=' itself (in a query), but never before its scheme's
// "://": a name comes before any of that.
func parseHostSpec(entry string) hostSpec {
	if name, addr, ok := strings.Cut(entry, "="); ok && !strings.Contains(name, "/") && !strings.Contains(name, ":") {
		return hostSpec{name: name, addr: addr, named: true}
	}
	return hostSpec{name: engine.LocalHost, addr: entry}
}

// dockerOptionsFor are the connection settings of one engine: the global
// ones, and, for a named engine among several, the TLS certificates in the
// directory of its name under --cert-path or DOCKER_CERT_PATH (ca.pem,
// cert.pem, key.pem, as the Docker CLI lays them out), when that directory
// exists.
func (g *globalOptions) dockerOptionsFor(s hostSpec, several bool) []docker.Option {
	opts := g.dockerOptions()
	if !several {
		return opts
	}
	base := g.certPath
	if base == "" {
		base = os.Getenv("DOCKER_CERT_PATH")
	}
	if base == "" {
		return opts
	}
	dir := filepath.Join(base, s.name)
	if _, err := os.Stat(filepath.Join(dir, "ca.pem")); err != nil {
		return opts
	}
	return append(opts, docker.WithCertDir(dir))
}

package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestHostSpecs(t *testing.T) {
	tests := []struct {
		name    string
		hosts   []string
		env     string
		want    []hostSpec
		wantErr string
	}{
		{name: "none: the one engine DOCKER_HOST names", want: []hostSpec{{name: "local"}}},
		{name: "one address, unnamed", hosts: []string{"tcp://10.0.0.5:2376"}, want: []hostSpec{{name: "local", addr: "tcp://10.0.0.5:2376"}}},
		{name: "named and unnamed", hosts: []string{"web1=tcp://10.0.0.5:2376", "unix:///var/run/docker.sock"},
			want: []hostSpec{{name: "web1", addr: "tcp://10.0.0.5:2376", named: true}, {name: "local", addr: "unix:///var/run/docker.sock"}}},
		{name: "ssh with a socket path", hosts: []string{"far=ssh://me@10.0.0.7:2222/run/docker.sock"},
			want: []hostSpec{{name: "far", addr: "ssh://me@10.0.0.7:2222/run/docker.sock", named: true}}},
		{name: "an equals sign inside the address", hosts: []string{"tcp://h:2376/?a=b"}, want: []hostSpec{{name: "local", addr: "tcp://h:2376/?a=b"}}},
		{name: "from CUTOVER_HOSTS", env: " web1=tcp://10.0.0.5:2376,db=tcp://10.0.0.6:2376\nlocal=unix:///var/run/docker.sock ",
			want: []hostSpec{{name: "web1", addr: "tcp://10.0.0.5:2376", named: true}, {name: "db", addr: "tcp://10.0.0.6:2376", named: true}, {name: "local", addr: "unix:///var/run/docker.sock", named: true}}},
		{name: "--host wins over CUTOVER_HOSTS", hosts: []string{"a=tcp://a:2376"}, env: "b=tcp://b:2376", want: []hostSpec{{name: "a", addr: "tcp://a:2376", named: true}}},
		{name: "a name twice", hosts: []string{"a=tcp://a:2376", "a=tcp://b:2376"}, wantErr: `--host "a=tcp://b:2376": engine name "a" is given twice`},
		{name: "two unnamed", hosts: []string{"tcp://a:2376", "tcp://b:2376"}, wantErr: `--host "tcp://b:2376": a second engine without a name; name each engine as NAME=ADDRESS`},
		{name: "no address", hosts: []string{"web1="}, wantErr: `--host "web1=": no engine address`},
		{name: "a name with a dot first", hosts: []string{".x=tcp://a:2376"}, wantErr: `engine name ".x"`},
		{name: "not an address", env: "we b=tcp://a:2376", wantErr: `CUTOVER_HOSTS "we": "we" is not an engine address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CUTOVER_HOSTS", tt.env)
			g := &globalOptions{hosts: tt.hosts}
			got, err := g.hostSpecs()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("hostSpecs: got %v, %v; want an error saying %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("hostSpecs: got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// A named engine among several is reached over TLS with the certificates
// in its own directory, when there is one; others as their address says.
func TestDockerOptionsForNamedEngines(t *testing.T) {
	certs := t.TempDir()
	if err := os.MkdirAll(filepath.Join(certs, "web1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certs, "web1", "ca.pem"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &globalOptions{certPath: certs}
	base := len(g.dockerOptions())
	if n := len(g.dockerOptionsFor(hostSpec{name: "web1"}, true)); n != base+1 {
		t.Errorf("engine web1 among several: %d options, want the global ones and its certificates", n)
	}
	if n := len(g.dockerOptionsFor(hostSpec{name: "db"}, true)); n != base {
		t.Errorf("engine db, no certificate directory: %d options, want the global ones only", n)
	}
	if n := len(g.dockerOptionsFor(hostSpec{name: "web1"}, false)); n != base {
		t.Errorf("one engine: %d options, want the global ones only (DOCKER_CERT_PATH as the Docker client reads it)", n)
	}
}

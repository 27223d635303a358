package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// imageWatchFlags are the flags Image Watch's variables stand in for.
func imageWatchFlags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.String("listen", ":8080", "")
	fs.Duration("check-interval", 15*time.Minute, "")
	fs.Int("interval", 86400, "")
	fs.String("schedule", "", "")
	fs.String("host", "", "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestImageWatchVariables(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want map[string]string
	}{
		{"none", nil, nil, map[string]string{"listen": ":8080", "check-interval": "15m0s", "interval": "86400", "host": ""}},
		{"all three", map[string]string{"PORT": "8099", "CHECK_INTERVAL": "10m", "DOCKER_SOCK": "/run/user/1000/docker.sock"}, nil,
			map[string]string{"listen": ":8099", "check-interval": "10m0s", "interval": "600", "host": "unix:///run/user/1000/docker.sock"}},
		{"a schedule keeps its passes", map[string]string{"CHECK_INTERVAL": "10m"}, []string{"--schedule", "0 0 4 * * *"},
			map[string]string{"check-interval": "10m0s", "interval": "86400", "schedule": "0 0 4 * * *"}},
		{"Watchtower's interval keeps its passes", map[string]string{"CHECK_INTERVAL": "10m", "WATCHTOWER_POLL_INTERVAL": "30"}, nil,
			map[string]string{"check-interval": "10m0s", "interval": "30"}},
		{"socket given as a URL", map[string]string{"DOCKER_SOCK": "unix:///var/run/docker.sock"}, nil, map[string]string{"host": "unix:///var/run/docker.sock"}},
		{"flags win", map[string]string{"PORT": "8099", "CHECK_INTERVAL": "10m", "DOCKER_SOCK": "/x.sock"},
			[]string{"--listen", ":9000", "--check-interval", "1m", "--interval", "60", "--host", "tcp://127.0.0.1:2375"},
			map[string]string{"listen": ":9000", "check-interval": "1m0s", "interval": "60", "host": "tcp://127.0.0.1:2375"}},
		{"cutover's variables win", map[string]string{"PORT": "8099", "CUTOVER_LISTEN": ":7000", "CHECK_INTERVAL": "10m", "CUTOVER_CHECK_INTERVAL": "2m"}, nil,
			map[string]string{"listen": ":7000", "check-interval": "2m0s", "interval": "600"}},
		{"DOCKER_HOST wins", map[string]string{"DOCKER_SOCK": "/x.sock", "DOCKER_HOST": "unix:///y.sock"}, nil, map[string]string{"host": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"PORT", "CHECK_INTERVAL", "DOCKER_SOCK", "DOCKER_HOST", "CUTOVER_LISTEN", "CUTOVER_CHECK_INTERVAL", "CUTOVER_HOST", "WATCHTOWER_LISTEN", "WATCHTOWER_CHECK_INTERVAL",
				"CUTOVER_INTERVAL", "WATCHTOWER_POLL_INTERVAL", "CUTOVER_SCHEDULE", "WATCHTOWER_SCHEDULE"} {
				t.Setenv(k, tc.env[k])
			}
			fs := imageWatchFlags(t, tc.args...)
			if _, err := applyEnv(fs); err != nil {
				t.Fatal(err)
			}
			if err := applyImageWatchEnv(fs); err != nil {
				t.Fatalf("env %v: %v", tc.env, err)
			}
			for flag, want := range tc.want {
				if got := fs.Lookup(flag).Value.String(); got != want {
					t.Errorf("env %v, args %v: --%s is %q, want %q", tc.env, tc.args, flag, got, want)
				}
			}
		})
	}
}

func TestImageWatchVariablesRefuseBadValues(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"PORT", "http", `PORT="http": want a port number from 1 to 65535`},
		{"PORT", "0", `PORT="0": want a port number from 1 to 65535`},
		{"PORT", "70000", `PORT="70000": want a port number`},
		{"CHECK_INTERVAL", "600", `CHECK_INTERVAL="600": want a duration of a second or more, such as 10m`},
		{"CHECK_INTERVAL", "-1m", `CHECK_INTERVAL="-1m": want a duration of a second or more`},
		{"CHECK_INTERVAL", "10ms", `CHECK_INTERVAL="10ms": want a duration of a second or more`},
		{"DOCKER_SOCK", "docker.sock", `DOCKER_SOCK="docker.sock": want the absolute path of the engine's socket`},
	} {
		for _, k := range []string{"PORT", "CHECK_INTERVAL", "DOCKER_SOCK", "DOCKER_HOST"} {
			t.Setenv(k, "")
		}
		t.Setenv(tc.key, tc.value)
		fs := imageWatchFlags(t)
		err := applyImageWatchEnv(fs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: got %v, want an error saying %q", tc.key, tc.value, err, tc.want)
		}
		for _, f := range []string{"listen", "check-interval", "interval", "host"} {
			if fs.Lookup(f).Changed {
				t.Errorf("%s=%q: --%s changed to %q, want nothing changed", tc.key, tc.value, f, fs.Lookup(f).Value)
			}
		}
	}
}

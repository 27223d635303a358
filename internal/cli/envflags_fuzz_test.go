package cli

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// fuzzFlags returns the flags of cutover's root command with --data-dir
// given on the command line, as applyEnv sees them.
func fuzzFlags(t *testing.T) *pflag.FlagSet {
	root := newRoot(io.Discard, io.Discard)
	if err := root.ParseFlags([]string{"--data-dir", "/from-the-command-line"}); err != nil {
		t.Fatal(err)
	}
	return root.Flags()
}

// FuzzApplyEnv sets one of cutover's environment variables, directly or as
// a *_FILE, to any value. applyEnv may refuse it but must not panic, must
// leave flags given on the command line alone, and must not quote a secret
// in its error.
func FuzzApplyEnv(f *testing.F) {
	for _, s := range []struct {
		flag, value string
		viaFile     bool
	}{
		{"interval", "30", false},
		{"interval", "-1", false},
		{"interval", "99999999999999999999", false},
		{"stop-timeout", "1h\x00", false},
		{"http-api-token", "s3cret-token", false},
		{"http-api-token", "  s3cret-token\n", true},
		{"ui-password", "pw", true},
		{"notification-url", "generic://example.com/x?token=abc generic://b", false},
		{"disable-containers", ",, ,a,,b , ", false},
		{"schedule", "0 0 * * * * * *", false},
		{"log-level", "\r\ndebug", false},
		{"enable-lifecycle-hooks", "maybe", false},
		{"data-dir", "/from-the-environment", false},
		{"scope", strings.Repeat("s", 1<<16), false},
		{"http-api-token", "./relative-file", false},
	} {
		f.Add(s.flag, s.value, s.viaFile)
	}
	f.Fuzz(func(t *testing.T, flag, value string, viaFile bool) {
		fs := fuzzFlags(t)
		var names []string
		fs.VisitAll(func(fl *pflag.Flag) { names = append(names, fl.Name) })
		slices.Sort(names)
		if !slices.Contains(names, flag) {
			flag = names[len(flag)%len(names)]
		}
		envs := envNames(flag)
		if len(envs) == 0 {
			return
		}
		env := envs[len(value)%len(envs)]
		dir := t.TempDir()
		// A value that names a file is read for secret flags: keep the
		// files the fuzzer can name inside dir.
		if strings.HasPrefix(value, "/") || strings.HasPrefix(value, "./") {
			name := strings.NewReplacer("/", "_", ".", "_", "\x00", "_").Replace(value)
			value = filepath.Join(dir, name[:min(len(name), 100)])
			if err := os.WriteFile(value, []byte("from-a-file"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if viaFile {
			path := filepath.Join(dir, "secret")
			if err := os.WriteFile(path, []byte(value), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv(env+"_FILE", path)
		} else {
			value = strings.ReplaceAll(value, "\x00", "") // the environment cannot hold NUL
			t.Setenv(env, value)
		}
		_, err := applyEnv(fs)
		if got := fs.Lookup("data-dir").Value.String(); got != "/from-the-command-line" {
			t.Fatalf("%s=%q: --data-dir became %q, want the command line's value kept", env, value, got)
		}
		if err != nil && secretFlags[flag] && len(strings.TrimSpace(value)) >= 4 && strings.Contains(err.Error(), strings.TrimSpace(value)) {
			t.Fatalf("%s: the error quotes the secret: %v", env, err)
		}
	})
}

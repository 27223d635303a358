package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// watchtowerEnv names Watchtower's variable for a flag where its name is not
// simply WATCHTOWER_ plus the flag's.
var watchtowerEnv = map[string][]string{
	"interval":               {"WATCHTOWER_POLL_INTERVAL"},
	"stop-timeout":           {"WATCHTOWER_TIMEOUT"},
	"enable-lifecycle-hooks": {"WATCHTOWER_LIFECYCLE_HOOKS"},
	"http-api-token":         {"CUTOVER_API_TOKEN", "WATCHTOWER_HTTP_API_TOKEN"},
	"host":                   {}, // DOCKER_HOST is read with the TLS settings beside it
	"ui-user":                {"AUTH_USER"},
	"ui-password":            {"AUTH_PASS"},
}

// secretFlags may be given as *_FILE variables, or as a value naming a
// readable file, as Watchtower allows.
var secretFlags = map[string]bool{
	"http-api-token":   true,
	"notification-url": true,
	"ui-password":      true,
}

// envNames lists the variables that can set a flag, strongest first:
// CUTOVER_<NAME>, then Watchtower's.
func envNames(flag string) []string {
	upper := strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
	names := []string{"CUTOVER_" + upper}
	if extra, ok := watchtowerEnv[flag]; ok {
		return append(names, extra...)
	}
	return append(names, "WATCHTOWER_"+upper)
}

// applyEnv sets every flag not given on the command line from its
// environment variables; a command-line flag always wins.
func applyEnv(fs *pflag.FlagSet) error {
	var errs []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		for _, env := range envNames(f.Name) {
			v, ok := os.LookupEnv(env)
			source := env
			if !ok && secretFlags[f.Name] {
				if path := os.Getenv(env + "_FILE"); path != "" {
					b, err := os.ReadFile(path)
					if err != nil {
						errs = append(errs, fmt.Sprintf("%s_FILE: %v", env, err))
						return
					}
					v, ok, source = strings.TrimSpace(string(b)), true, env+"_FILE"
				}
			}
			if !ok || v == "" {
				continue
			}
			if err := setFlag(fs, f, v); err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", source, v, err))
			}
			return
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("invalid environment: %s", strings.Join(errs, "; "))
	}
	return resolveSecretFiles(fs)
}

func setFlag(fs *pflag.FlagSet, f *pflag.Flag, v string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.Replace(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' }))
	}
	return fs.Set(f.Name, v)
}

// resolveSecretFiles replaces a secret flag's value by the content of the
// file it names, when it names a readable file.
func resolveSecretFiles(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if !secretFlags[f.Name] || err != nil {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals := sv.GetSlice()
			for i, v := range vals {
				vals[i] = readIfFile(v)
			}
			err = sv.Replace(vals)
			return
		}
		if v := f.Value.String(); v != "" {
			if nv := readIfFile(v); nv != v {
				err = f.Value.Set(nv)
			}
		}
	})
	return err
}

func readIfFile(v string) string {
	if !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "./") {
		return v
	}
	info, err := os.Stat(v)
	if err != nil || !info.Mode().IsRegular() {
		return v
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return v
	}
	return strings.TrimSpace(string(b))
}

package cli

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// watchtowerEnv names the variables that set a flag where they are not simply
// WATCHTOWER_ plus the flag's name.
var watchtowerEnv = map[string][]string{
	"interval":                  {"WATCHTOWER_POLL_INTERVAL"},
	"stop-timeout":              {"WATCHTOWER_TIMEOUT"},
	"enable-lifecycle-hooks":    {"WATCHTOWER_LIFECYCLE_HOOKS"},
	"http-api-token":            {"CUTOVER_API_TOKEN", "WATCHTOWER_HTTP_API_TOKEN"},
	"host":                      {}, // DOCKER_HOST is read with the TLS settings beside it, CUTOVER_HOSTS in hostSpecs
	"cert-path":                 {"CUTOVER_CERT_PATH"},
	"tlsverify":                 {"DOCKER_TLS_VERIFY"},
	"api-version":               {"DOCKER_API_VERSION"},
	"no-color":                  {"NO_COLOR"},
	"notification-msteams-hook": {"WATCHTOWER_NOTIFICATION_MSTEAMS_HOOK_URL"},
	"notification-msteams-data": {"WATCHTOWER_NOTIFICATION_MSTEAMS_USE_LOG_DATA"},
	"policy":                    {}, // Watchtower has no version policy
	"ui-user":                   {"AUTH_USER"},
	"ui-password":               {"AUTH_PASS"},
	"trusted-proxies":           {}, // Watchtower has no login
}

// presenceEnv are variables that switch their flag on by being set to
// anything, as the Docker client and no-color.org read them.
var presenceEnv = map[string]bool{"DOCKER_TLS_VERIFY": true, "NO_COLOR": true}

// secretFlags may be given as *_FILE variables, or as a value naming a
// readable file, as Watchtower allows.
var secretFlags = map[string]bool{
	"http-api-token":                     true,
	"notification-url":                   true,
	"ui-password":                        true,
	"notification-email-server-password": true,
	"notification-slack-hook-url":        true,
	"notification-msteams-hook":          true,
	"notification-gotify-token":          true,
}

// envNames lists the variables that can set a flag, strongest first:
// CUTOVER_<NAME>, then Watchtower's. Watchtower's legacy notification
// settings have Watchtower's variable only.
func envNames(flag string) []string {
	if flag == "health-check" {
		// Set in a container's environment it would stop the daemon.
		return nil
	}
	upper := strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
	var names []string
	if !legacyFlags[flag] {
		names = append(names, "CUTOVER_"+upper)
	}
	if extra, ok := watchtowerEnv[flag]; ok {
		return append(names, extra...)
	}
	return append(names, "WATCHTOWER_"+upper)
}

// envReport says what the environment did to the flags.
type envReport struct {
	// sources names, for each flag the environment set, the variable.
	sources map[string]string
	// warnings say where a Watchtower variable was read as Watchtower read
	// it rather than as written.
	warnings []string
}

// fromEnv reports whether the environment, not the command line, set flag.
func (r envReport) fromEnv(flag string) bool { _, ok := r.sources[flag]; return ok }

// applyEnv sets every flag not given on the command line from its
// environment variables; a command-line flag always wins.
func applyEnv(fs *pflag.FlagSet) (envReport, error) {
	rep := envReport{sources: map[string]string{}}
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
			warning, err := setFlag(fs, f, env, v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", source, v, err))
				return
			}
			rep.sources[f.Name] = source
			if warning != "" {
				rep.warnings = append(rep.warnings, warning)
			}
			return
		}
	})
	if len(errs) > 0 {
		return rep, fmt.Errorf("invalid environment: %s", strings.Join(errs, "; "))
	}
	return rep, resolveSecretFiles(fs)
}

// listSeparators split a list variable: Watchtower split its disable list
// on commas and spaces, its notification types on spaces (cutover takes
// commas too), and its notification URLs on whitespace only, since a
// shoutrrr URL may hold commas.
var listSeparators = map[string]*regexp.Regexp{
	"notification-url": regexp.MustCompile(`\s+`),
}

var defaultListSeparator = regexp.MustCompile(`[\s,]+`)

// setFlag sets f from env's value v, reading Watchtower's variables as
// Watchtower did where that differs from the flag's syntax, and says so.
func setFlag(fs *pflag.FlagSet, f *pflag.Flag, env, v string) (warning string, err error) {
	watchtower := strings.HasPrefix(env, "WATCHTOWER_")
	switch {
	case presenceEnv[env]:
		return "", fs.Set(f.Name, "true")
	case f.Value.Type() == "bool" && watchtower:
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Sprintf("%s=%q is not a boolean: read as false, as Watchtower read it", env, v), fs.Set(f.Name, "false")
		}
	case f.Value.Type() == "duration" && watchtower:
		if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && n >= 0 {
			d := time.Duration(n * float64(time.Second))
			if d == 0 {
				// Zero is zero in any unit; what cutover makes of a zero
				// timeout has a warning of its own.
				return "", fs.Set(f.Name, "0s")
			}
			return fmt.Sprintf("%s=%q has no unit: read as %s (Watchtower read it as nanoseconds)", env, v, d), fs.Set(f.Name, d.String())
		}
	}
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		sep := defaultListSeparator
		if s, ok := listSeparators[f.Name]; ok {
			sep = s
		}
		return "", sv.Replace(slices.DeleteFunc(sep.Split(v, -1), func(s string) bool { return s == "" }))
	}
	return "", fs.Set(f.Name, v)
}

// resolveSecretFiles replaces a secret flag's value by the content of the
// file it names, when it names a readable file; for a list, each line of the
// file is one value.
func resolveSecretFiles(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if !secretFlags[f.Name] || err != nil {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			var vals []string
			for _, v := range sv.GetSlice() {
				if content, ok := readIfFile(v); ok {
					vals = append(vals, slices.DeleteFunc(strings.Split(content, "\n"), func(s string) bool { return strings.TrimSpace(s) == "" })...)
				} else {
					vals = append(vals, v)
				}
			}
			err = sv.Replace(vals)
			return
		}
		if v := f.Value.String(); v != "" {
			if content, ok := readIfFile(v); ok {
				err = f.Value.Set(content)
			}
		}
	})
	return err
}

// readIfFile returns the trimmed content of the file v names, when v is an
// absolute or ./ path of a readable regular file.
func readIfFile(v string) (string, bool) {
	if !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "./") {
		return "", false
	}
	info, err := os.Stat(v)
	if err != nil || !info.Mode().IsRegular() {
		return "", false
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/policy"
)

// The policy flags take cutover's variables and the active Watchtower
// fork's, with the fork's units; a bad value is an error naming it.
func TestPolicyOptionsFromTheEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env      map[string]string
		args     []string
		policy   policy.Policy
		cooldown time.Duration
		err      string
	}{
		{nil, nil, policy.Digest, 0, ""},
		{map[string]string{"WATCHTOWER_COOLDOWN_DELAY": "3d"}, nil, policy.Digest, 72 * time.Hour, ""},
		{map[string]string{"WATCHTOWER_COOLDOWN_DELAY": "3d", "CUTOVER_COOLDOWN_DELAY": "1w"}, nil, policy.Digest, 7 * 24 * time.Hour, ""},
		{map[string]string{"CUTOVER_COOLDOWN_DELAY": "1w"}, []string{"--cooldown-delay", "90m"}, policy.Digest, 90 * time.Minute, ""},
		{map[string]string{"CUTOVER_POLICY": "Minor"}, nil, policy.Minor, 0, ""},
		{map[string]string{"CUTOVER_COOLDOWN_DELAY": "three days"}, nil, "", 0, `invalid environment: CUTOVER_COOLDOWN_DELAY="three days": invalid argument "three days" for "--cooldown-delay" flag: cooldown "three days": a number must come before each unit; want a duration such as 72h, 3d, 1w or 0`},
		{map[string]string{"CUTOVER_POLICY": "latest"}, nil, "", 0, `--policy: policy "latest" is not one of digest, patch, minor, major`},
	} {
		t.Run(strings.Join(tc.args, " ")+fmtEnv(tc.env), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var o policyOptions
			fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
			o.addFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			_, err := applyEnv(fs)
			var eo engine.Options
			if err == nil {
				err = o.apply(&eo)
			}
			switch {
			case tc.err != "":
				if err == nil || err.Error() != tc.err {
					t.Errorf("got %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Errorf("got %v, want no error", err)
			case eo.Policy != tc.policy || eo.CooldownDelay != tc.cooldown:
				t.Errorf("got policy %q cooldown %s, want %q %s", eo.Policy, eo.CooldownDelay, tc.policy, tc.cooldown)
			}
		})
	}
}

func fmtEnv(env map[string]string) string {
	var parts []string
	for k, v := range env {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

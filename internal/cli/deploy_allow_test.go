package cli_test

import (
	"strings"
	"testing"
)

// A --deploy-allow that cannot mean what its writer meant stops cutover at
// start, saying why, before anything runs.
func TestServeRefusesBadDeployAllow(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--deploy-allow", "registry.example.com/team/web:1.2"}, "", `--deploy-allow "registry.example.com/team/web:1.2": a pattern names repositories, without tag or digest`},
		{[]string{"--deploy-allow", "Registry.example.com/*"}, "", `--deploy-allow "Registry.example.com/*": want a repository in lower case`},
		{[]string{"--deploy-allow", "team/*,"}, "", `--deploy-allow "": empty pattern`},
		{nil, "team/app@sha256:abc", `--deploy-allow "team/app@sha256:abc": a pattern names repositories`},
	} {
		t.Setenv("CUTOVER_DEPLOY_ALLOW", tc.env)
		r := cutover(t, append([]string{"serve", "--listen", "127.0.0.1:0"}, tc.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("serve %v (CUTOVER_DEPLOY_ALLOW=%q): exit %d, stderr %q; want a failure saying %q", tc.args, tc.env, r.code, r.stderr, tc.want)
		}
	}
}

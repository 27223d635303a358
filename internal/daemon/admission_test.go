package daemon

import (
	"errors"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/engine"
)

func mustRef(t *testing.T, s string) engine.Reference {
	t.Helper()
	ref, err := engine.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func TestAdmission(t *testing.T) {
	allow, err := ParseAllowList([]string{"registry.example.com/team/*", "nginx"})
	if err != nil {
		t.Fatal(err)
	}
	web := func(labels map[string]string) engine.Container {
		return engine.Container{Name: "web", State: "running", Labels: labels}
	}
	const good = "registry.example.com/team/web:2"
	for _, tc := range []struct {
		name  string
		a     Admission
		c     engine.Container
		image string
		want  string // "" admits
	}{
		{"nothing set", Admission{}, web(nil), "evil.example/x:1", ""},
		{"allowed image", Admission{Allow: allow}, web(nil), good, ""},
		{"allowed official image", Admission{Allow: allow}, web(nil), "docker.io/library/nginx:1.27", ""},
		{"allowed by digest", Admission{Allow: allow}, web(nil), "registry.example.com/team/web@sha256:" + strings.Repeat("a", 64), ""},
		{"image not allowed", Admission{Allow: allow}, web(nil), "evil.example/x:1",
			"image 'evil.example/x:1' is not allowed by --deploy-allow (allowed: registry.example.com/team/*, nginx)"},
		{"deeper path not matched by *", Admission{Allow: allow}, web(nil), "registry.example.com/team/sub/web:1",
			"image 'registry.example.com/team/sub/web:1' is not allowed by --deploy-allow"},
		{"enable=false", Admission{}, web(map[string]string{"com.centurylinklabs.watchtower.enable": "false"}), good,
			"container 'web' is labelled com.centurylinklabs.watchtower.enable=false: cutover leaves it alone"},
		{"cutover enable=false", Admission{}, web(map[string]string{"cutover.enable": "false"}), good,
			"container 'web' is labelled cutover.enable=false: cutover leaves it alone"},
		{"enable=true", Admission{}, web(map[string]string{"cutover.enable": "true"}), good, ""},
		{"disabled", Admission{Filter: Filter{Disabled: []string{"web"}}}, web(nil), good,
			"container 'web' is in --disable-containers: cutover leaves it alone"},
		{"other scope", Admission{Filter: Filter{Scope: "prod"}}, web(map[string]string{"cutover.scope": "dev"}), good,
			`container 'web' is not in this cutover's scope: --scope is "prod" and its scope label is "dev"`},
		{"no scope label", Admission{Filter: Filter{Scope: "prod"}}, web(nil), good,
			`container 'web' is not in this cutover's scope: --scope is "prod" and it has no scope label`},
		{"scope none", Admission{Filter: Filter{Scope: "none"}}, web(map[string]string{"cutover.scope": "dev"}), good,
			`container 'web' is not in this cutover's scope: it has the scope label "dev", and --scope none takes only containers without one`},
		{"same scope", Admission{Filter: Filter{Scope: "prod"}}, web(map[string]string{"com.centurylinklabs.watchtower.scope": "prod"}), good, ""},
		{"monitor-only", Admission{MonitorOnly: true}, web(nil), good,
			"cutover runs with --monitor-only: it changes no container, deploys included"},
		{"monitor-only, label takes precedence", Admission{MonitorOnly: true, LabelTakePrecedence: true},
			web(map[string]string{"cutover.monitor-only": "false"}), good, ""},
		{"monitor-only label", Admission{}, web(map[string]string{"com.centurylinklabs.watchtower.monitor-only": "true"}), good,
			"container 'web' is labelled com.centurylinklabs.watchtower.monitor-only=true: cutover only checks it"},
		{"label-enable and names do not apply", Admission{Filter: Filter{LabelEnable: true, Names: []string{"db"}}}, web(nil), good, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Admit(tc.c, mustRef(t, tc.image))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("deploy of %s to %+v: got %v, want it admitted", tc.image, tc.c.Labels, err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, engine.ErrRefused)):
				t.Errorf("deploy of %s to %+v: got %v, want a refusal starting %q", tc.image, tc.c.Labels, err, tc.want)
			}
		})
	}
}

func TestAllowListPatterns(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		allows  []string
		refuses []string
	}{
		{"registry.example.com/team/*", []string{"registry.example.com/team/web", "registry.example.com/team/api:1"},
			[]string{"registry.example.com/team/a/b", "registry.example.com/other/web", "registry.example.com/team"}},
		{"registry.example.com/team/**", []string{"registry.example.com/team/web", "registry.example.com/team/a/b/c"}, []string{"registry.example.com/teams/web"}},
		{"127.0.0.1:5000/app-?", []string{"127.0.0.1:5000/app-1"}, []string{"127.0.0.1:5000/app-12", "127.0.0.1:5001/app-1"}},
		{"nginx", []string{"nginx", "nginx:1.27", "library/nginx", "docker.io/library/nginx", "index.docker.io/library/nginx:1"}, []string{"nginxx", "team/nginx"}},
		{"docker.io/library/*", []string{"nginx", "redis:7"}, []string{"team/app", "ghcr.io/library/x"}},
		{"team/*", []string{"team/app", "docker.io/team/app"}, []string{"ghcr.io/team/app"}},
		{"**", []string{"nginx", "ghcr.io/a/b/c"}, nil},
	} {
		l, err := ParseAllowList([]string{tc.pattern})
		if err != nil {
			t.Fatalf("--deploy-allow %q: %v", tc.pattern, err)
		}
		for _, img := range tc.allows {
			if !l.Allows(mustRef(t, img)) {
				t.Errorf("--deploy-allow %q refuses %s, want it allowed", tc.pattern, img)
			}
		}
		for _, img := range tc.refuses {
			if l.Allows(mustRef(t, img)) {
				t.Errorf("--deploy-allow %q allows %s, want it refused", tc.pattern, img)
			}
		}
	}
}

func TestAllowListRefusesBadPatterns(t *testing.T) {
	for p, want := range map[string]string{
		"":                        "empty pattern",
		"  ":                      "empty pattern",
		"nginx:1.27":              "without tag or digest",
		"team/app:latest":         "without tag or digest",
		"team/app@sha256:abc":     "without tag or digest",
		"Team/App":                "lower case",
		"team/app\n":              "", // trimmed: fine
		"team app":                "lower case",
		"team/****":               "*** means nothing more than **",
		"registry.example.com/a$": "lower case",
	} {
		_, err := ParseAllowList([]string{p})
		if want == "" {
			if err != nil {
				t.Errorf("--deploy-allow %q: %v, want it accepted", p, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "--deploy-allow ") {
			t.Errorf("--deploy-allow %q: got %v, want an error saying %q", p, err, want)
		}
	}
}

func TestPolicyReadsImageWatchLabel(t *testing.T) {
	p := Policy{Default: false, Toggles: toggles{"toggled-off": false}}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   bool
		reason string
	}{
		{"iw-on", map[string]string{ImageWatchLabel: "true"}, true, "label"},
		{"iw-off", map[string]string{ImageWatchLabel: "false"}, false, "label"},
		{"iw-junk", map[string]string{ImageWatchLabel: "yes please"}, false, "default"},
		{"enable wins", map[string]string{ImageWatchLabel: "true", "cutover.enable": "false"}, false, "label"},
		{"toggled-off", map[string]string{ImageWatchLabel: "true"}, false, "toggle"},
	} {
		got, reason := p.AutoUpdate(engine.Container{Name: tc.name, Labels: tc.labels})
		if got != tc.want || reason != tc.reason {
			t.Errorf("%s %v: got %v by %s, want %v by %s", tc.name, tc.labels, got, reason, tc.want, tc.reason)
		}
	}
}

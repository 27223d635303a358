package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/docker"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/registry"
	"github.com/cutover/cutover/internal/store"
)

func debugLogger(b *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestAPIKeyLoggedOnlyWhenCreated checks that the API key is in the log
// once, when it is made, and never again; and that a Watchtower token the
// operator gave is never logged, and leaves the API key as it was.
func TestAPIKeyLoggedOnlyWhenCreated(t *testing.T) {
	dir := t.TempDir()
	var first, second, given strings.Builder
	key, wt, err := loadKeys(dir, "", debugLogger(&first))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(first.String(), key.Value()); n != 1 {
		t.Errorf("first start: the new key is in the log %d times, want once:\n%s", n, first.String())
	}
	if wt.Value() != "" {
		t.Errorf("first start without a token: got Watchtower token %q, want none", wt.Value())
	}
	again, _, err := loadKeys(dir, "", debugLogger(&second))
	if err != nil {
		t.Fatal(err)
	}
	if again.Value() != key.Value() {
		t.Fatalf("second start: got another key")
	}
	if strings.Contains(second.String(), key.Value()) {
		t.Errorf("second start: the key is in the log, want it shown only when created:\n%s", second.String())
	}
	const token = "operator-given-token-31c7"
	withToken, wt, err := loadKeys(dir, token, debugLogger(&given))
	if err != nil {
		t.Fatal(err)
	}
	if withToken.Value() != key.Value() || wt.Value() != token {
		t.Errorf("start with a token: got key %q and token %q, want the key unchanged and the token apart", withToken.Prefix(), wt.Prefix())
	}
	if strings.Contains(given.String(), token) || strings.Contains(given.String(), key.Value()) {
		t.Errorf("given token: a secret is in the log:\n%s", given.String())
	}
	if !strings.Contains(given.String(), "unlocks /v1/* only") {
		t.Errorf("given token: the log does not say what it unlocks:\n%s", given.String())
	}
}

// TestDashboardPasswordNotLogged builds the dashboard's login with a chosen
// password, and with the API key standing in for one: neither is logged.
func TestDashboardPasswordNotLogged(t *testing.T) {
	const password = "dashboard-password-8e41"
	const keyValue = "api-key-standing-in-5a90"
	for _, pw := range []string{password, ""} {
		dir := t.TempDir()
		st, err := store.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		var logs strings.Builder
		o := &uiOptions{user: "admin", password: pw, auth: true}
		dash, err := o.dashboard(dashboardParts{dataDir: dir, key: apikey.Given(keyValue, "test"), app: &app{store: st}, log: debugLogger(&logs)})
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := pw
		if want == "" {
			want = keyValue
		}
		if !dash.Auth.Credentials.Check("admin", want) {
			t.Errorf("password %q: the login does not accept it", want)
		}
		if strings.Contains(logs.String(), password) || strings.Contains(logs.String(), keyValue) {
			t.Errorf("password %q: a secret is in the log:\n%s", pw, logs.String())
		}
	}
}

// checkOnlyRuntime is enough of an engine for a check: a check lists
// containers and inspects images, nothing else.
type checkOnlyRuntime struct {
	engine.Runtime
	containers []engine.Container
}

func (r checkOnlyRuntime) Containers(context.Context, bool) ([]engine.Container, error) {
	return r.containers, nil
}

func (r checkOnlyRuntime) Image(_ context.Context, ref string) (engine.Image, error) {
	return engine.Image{ID: "sha256:img", RepoDigests: []string{strings.Split(ref, ":")[0] + "@sha256:" + strings.Repeat("1", 64)}}, nil
}

// TestRegistryCredentialsNotLogged checks images against registries that
// refuse, fail or answer garbage, with credentials configured and the log
// at debug level: the credentials appear neither in the log nor in the
// reasons a check reports.
func TestRegistryCredentialsNotLogged(t *testing.T) {
	const user, pass = "registry-user", "registry-password-d00d"
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	var sawCredentials atomic.Bool
	registryServing := func(ping, manifest http.HandlerFunc) string {
		mux := http.NewServeMux()
		mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "Basic "+basic {
				sawCredentials.Store(true)
			}
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`)
		})
		mux.HandleFunc("/v2/{$}", ping)
		mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "Basic "+basic {
				sawCredentials.Store(true)
			}
			manifest(w, r)
		})
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		return strings.TrimPrefix(srv.URL, "http://")
	}
	ok := func(w http.ResponseWriter, r *http.Request) {}
	challenge := func(scheme string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			realm := "http://" + r.Host + "/token"
			w.Header().Set("WWW-Authenticate", scheme+` realm="`+realm+`",service="test"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	}
	refuse := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
	}
	images := map[string]string{
		"basic":   registryServing(challenge("Basic"), refuse),
		"bearer":  registryServing(challenge("Bearer"), refuse),
		"broken":  registryServing(ok, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "<html>upstream error</html>", 500) }),
		"garbage": registryServing(ok, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "not a manifest") }),
		"cut": registryServing(ok, func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}),
	}
	var containers []engine.Container
	for name, host := range images {
		containers = append(containers, engine.Container{ID: name + strings.Repeat("0", 16-len(name)), Name: name, Image: host + "/" + name + ":1", ImageID: "sha256:img", State: "running"})
	}
	reg, err := registry.New(registry.Options{Username: user, Password: pass, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	e := engine.New(checkOnlyRuntime{containers: containers}, reg, nil, debugLogger(&logs), engine.Options{})
	rep, err := e.Check(context.Background(), engine.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var reasons strings.Builder
	for _, g := range rep.Groups {
		if g.Status != engine.StatusUnknown {
			t.Errorf("image %s: got status %s, want unknown", g.Image, g.Status)
		}
		fmt.Fprintf(&reasons, "%s: %s\n", g.Image, g.Reason)
		for _, c := range g.Containers {
			fmt.Fprintf(&reasons, "  %s: %s\n", c.Container.Name, c.Reason)
		}
	}
	for where, text := range map[string]string{"debug log": logs.String(), "check reasons": reasons.String()} {
		for _, secret := range []string{pass, basic} {
			if strings.Contains(text, secret) {
				t.Errorf("%s: got the registry credentials (%q) in them:\n%s", where, secret, text)
			}
		}
	}
	if !sawCredentials.Load() {
		t.Errorf("no registry got the credentials, want them sent where asked for:\n%s", reasons.String())
	}
	if !strings.Contains(logs.String(), "registry check failed") {
		t.Errorf("debug log: got no registry failure, want each logged:\n%s", logs.String())
	}
}

// TestPullCredentialsNotInErrors pulls with credentials from an engine that
// refuses: the error says why without the credentials.
func TestPullCredentialsNotInErrors(t *testing.T) {
	const pass = "pull-password-77aa"
	var gotAuth atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		switch {
		case strings.HasSuffix(r.URL.Path, "/_ping"):
			fmt.Fprint(w, "OK")
		case strings.HasSuffix(r.URL.Path, "/images/create"):
			gotAuth.Store(r.Header.Get("X-Registry-Auth") != "")
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"status":"Pulling from app"}`+"\n"+`{"errorDetail":{"message":"unauthorized: incorrect username or password"},"error":"unauthorized: incorrect username or password"}`+"\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().(*net.TCPAddr)
	rt, err := docker.New(fmt.Sprintf("tcp://%s", addr))
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	err = rt.Pull(context.Background(), "127.0.0.1:5001/app:1", engine.Auth{ServerAddress: "127.0.0.1:5001", Username: "u", Password: pass}, nil)
	if err == nil || !strings.Contains(err.Error(), "unauthorized") {
		t.Fatalf("pull: got %v, want the engine's refusal", err)
	}
	if !gotAuth.Load() {
		t.Errorf("pull: the engine got no X-Registry-Auth, want the credentials passed on")
	}
	if strings.Contains(err.Error(), pass) || strings.Contains(err.Error(), base64.URLEncoding.EncodeToString([]byte(pass))) {
		t.Errorf("pull: got error %q, want it without the password", err)
	}
}

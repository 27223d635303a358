package cli

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cutover/cutover/internal/apikey"
	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/httpapi"
	"github.com/cutover/cutover/internal/ratelimit"
	"github.com/cutover/cutover/internal/session"
)

// uiOptions are the dashboard's flags. CUTOVER_UI_USER and
// CUTOVER_UI_PASSWORD set them too, as do Image Watch's AUTH_USER and
// AUTH_PASS.
type uiOptions struct {
	user         string
	password     string
	passwordHash string
	auth         bool
	// trustedProxies is --trusted-proxies as given: addresses and ranges.
	trustedProxies string
}

func (o *uiOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.user, "ui-user", "admin", "user name for the dashboard login")
	f.StringVar(&o.password, "ui-password", "", "password for the dashboard login (default: the API key)")
	f.StringVar(&o.passwordHash, "ui-password-hash", "", "bcrypt or argon2id hash of the dashboard password, instead of --ui-password")
	f.BoolVar(&o.auth, "ui-auth", true, "require a login for the dashboard; false only behind a proxy that authenticates users itself")
	f.StringVar(&o.trustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR ranges of reverse proxies in front of cutover, whose X-Forwarded-For names the client that failed logins are counted against")
}

// parseTrustedProxies reads --trusted-proxies: addresses and CIDR ranges,
// separated by commas.
func parseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is neither an address nor a CIDR range (10.0.0.2, 172.16.0.0/12)", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// dashboardParts are what the dashboard is built from.
type dashboardParts struct {
	dataDir  string
	key      apikey.Key
	app      *app
	daemon   *daemon.Daemon
	snapshot *daemon.Snapshot
	tracker  *daemon.Tracker
	policy   daemon.Policy
	closing  <-chan struct{}
	log      *slog.Logger
}

// dashboard builds the dashboard's dependencies and its login, and says in
// the log how to log in.
func (o *uiOptions) dashboard(p dashboardParts) (*httpapi.Dashboard, error) {
	trusted, err := parseTrustedProxies(o.trustedProxies)
	if err != nil {
		return nil, err
	}
	dash := &httpapi.Dashboard{
		Statuses: p.snapshot,
		Progress: p.tracker,
		Updater: httpapi.UpdaterFunc(func(names []string, force bool) error {
			return p.daemon.UpdateNow(names, force, p.snapshot)
		}),
		Skips:   p.snapshot,
		Toggles: p.app.store,
		AutoUpdate: func(c engine.Container) bool {
			on, _ := p.policy.AutoUpdate(c)
			return on
		},
		History:    p.app.store,
		Errors:     p.tracker,
		Pruner:     p.app,
		Engines:    p.app,
		PullBudget: ratelimit.New(nil, nil),
		Closing:    p.closing,
	}
	if !o.auth {
		p.log.Warn("dashboard login is off (--ui-auth=false): whoever reaches the listener can update containers; keep cutover behind a proxy that authenticates")
		dash.Auth.Disabled = true
		return dash, nil
	}
	password := o.password
	if password == "" && o.passwordHash == "" {
		password = p.key.Value()
		p.log.Info("dashboard login: user "+o.user+", password: the API key (set --ui-password or --ui-password-hash to choose one)", "key", p.key.Source())
	} else {
		p.log.Info("dashboard login: user " + o.user + ", password as configured")
	}
	creds, err := session.NewCredentials(o.user, password, o.passwordHash)
	if err != nil {
		return nil, fmt.Errorf("dashboard login (--ui-user, --ui-password, --ui-password-hash): %w", err)
	}
	key, err := session.LoadKey(p.dataDir)
	if err != nil {
		return nil, err
	}
	sessions, err := session.NewManager(key, p.app.store)
	if err != nil {
		return nil, err
	}
	dash.Auth = httpapi.DashboardAuth{Credentials: creds, Sessions: sessions, Limiter: session.NewLimiter(nil), TrustedProxies: trusted}
	return dash, nil
}

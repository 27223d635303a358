package httpapi

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// SessionCookie is the name of the dashboard's session cookie.
const SessionCookie = "cutover_session"

// PasswordChecker tells whether a user name and password are right.
type PasswordChecker interface {
	Check(user, pass string) bool
}

// Sessions issues, verifies and ends dashboard sessions.
type Sessions interface {
	Issue(user string) (token string, expires time.Time, err error)
	Verify(token string) (user string, ok bool)
	Revoke(token string) error
}

// LoginLimiter slows down clients that guess passwords.
type LoginLimiter interface {
	Allow(client string) (wait time.Duration, ok bool)
	Fail(client string)
	Succeed(client string)
}

// DashboardAuth says who may use the dashboard. Unless Disabled, a request
// needs a session or the API key, and a missing Credentials or Sessions
// lets nobody log in.
type DashboardAuth struct {
	// Disabled turns the login off, for a trusted proxy that authenticates
	// in front of cutover.
	Disabled    bool
	Credentials PasswordChecker
	Sessions    Sessions
	Limiter     LoginLimiter
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client: failed logins are counted against the client it names,
	// not against the proxy, which every user shares.
	TrustedProxies []netip.Prefix
}

// authorized reports whether r may use the private dashboard endpoints: the
// login is off, or r carries the API key or a live session.
func (d *dashboard) authorized(r *http.Request) bool {
	if d.Auth.Disabled {
		return true
	}
	if tok := presentedToken(r); tok != "" && d.s.deps.Key.Matches(tok) {
		return true
	}
	if d.Auth.Sessions == nil {
		return false
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return false
	}
	_, ok := d.Auth.Sessions.Verify(c.Value)
	return ok
}

func (d *dashboard) authStatus(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"enabled": !d.Auth.Disabled})
}

type loginRequest struct {
	User string `json:"user"`
	Pass string `json:"pass"`
}

// login checks the credentials and opens a session. Failures are counted per
// client address; too many in a row block it for a while.
func (d *dashboard) login(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	if d.Auth.Disabled {
		writeJSON(w, http.StatusOK, statusJSON{Status: "ok"})
		return
	}
	client := clientIP(r, d.Auth.TrustedProxies)
	if d.Auth.Limiter != nil {
		if wait, ok := d.Auth.Limiter.Allow(client); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", fmt.Sprint(secs))
			textError(w, http.StatusTooManyRequests, fmt.Sprintf("too many failed logins: try again in %d seconds", secs))
			return
		}
	}
	var req loginRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return
	}
	if d.Auth.Credentials == nil || d.Auth.Sessions == nil || !d.Auth.Credentials.Check(req.User, req.Pass) {
		if d.Auth.Limiter != nil {
			d.Auth.Limiter.Fail(client)
		}
		// Neither the user name nor the password is logged: people type
		// one into the other's field.
		d.s.deps.Log.Warn("dashboard login refused", "client", client)
		textError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	token, expires, err := d.Auth.Sessions.Issue(req.User)
	if err != nil {
		d.s.deps.Log.Error("cannot open a dashboard session", "err", err)
		textError(w, http.StatusInternalServerError, "cannot open a session: "+err.Error())
		return
	}
	if d.Auth.Limiter != nil {
		d.Auth.Limiter.Succeed(client)
	}
	d.s.deps.Log.Info("dashboard login", "client", client)
	http.SetCookie(w, sessionCookie(r, token, expires))
	writeJSON(w, http.StatusOK, statusJSON{Status: "ok"})
}

// logout ends the session the request carries, if any, and has the browser
// drop the cookie.
func (d *dashboard) logout(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	if c, err := r.Cookie(SessionCookie); err == nil && d.Auth.Sessions != nil {
		if err := d.Auth.Sessions.Revoke(c.Value); err != nil {
			d.s.deps.Log.Error("cannot end a dashboard session", "err", err)
			textError(w, http.StatusInternalServerError, "cannot end the session: "+err.Error())
			return
		}
	}
	expired := sessionCookie(r, "", time.Unix(0, 0))
	expired.MaxAge = -1
	http.SetCookie(w, expired)
	writeJSON(w, http.StatusOK, statusJSON{Status: "ok"})
}

func sessionCookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     SessionCookie,
		Value:    value,
		Path:     "/",
		Expires:  expires.UTC(),
		MaxAge:   max(int(time.Until(expires).Seconds()), 0),
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		// Behind a TLS-terminating proxy the browser still speaks HTTPS.
		Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
	}
}

// clientIP is the address failed logins are counted against: the peer's,
// or, when the peer is a trusted proxy, the nearest address in
// X-Forwarded-For that is not one. Forwarded headers from anyone else are
// ignored, since any client can send them.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		return err == nil && slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(a.Unmap()) })
	}
	if !isTrusted(host) {
		return host
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(hop); err != nil {
			// A hop that is no address cannot be told apart from the
			// proxy: the count stays on the proxy.
			return host
		}
		if !isTrusted(hop) {
			return hop
		}
		host = hop
	}
	return host
}

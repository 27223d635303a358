package httpapi_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestDashboardLoginSessionLogout(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.do(t, "POST", "/api/login", `{"user":"admin","pass":"s3cret pass"}`, nil)
	if r.status != http.StatusOK || r.body != `{"status":"ok"}`+"\n" {
		t.Fatalf("login: got %d %q, want 200 {\"status\":\"ok\"}", r.status, r.body)
	}
	raw := r.header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="} {
		if !strings.Contains(raw, attr) {
			t.Errorf("session cookie %q: want %s", raw, attr)
		}
	}
	if strings.Contains(raw, "Secure") {
		t.Errorf("session cookie %q: Secure over plain HTTP would never be sent back", raw)
	}
	c := sessionCookie(t, r.header)
	if left := time.Until(c.Expires); left < 23*time.Hour || left > 24*time.Hour+time.Minute {
		t.Errorf("session cookie expires in %s, want 24 h", left)
	}
	withCookie := map[string]string{"Cookie": c.Name + "=" + c.Value}
	if r := e.do(t, "GET", "/api/images", "", withCookie); r.status != http.StatusOK {
		t.Fatalf("GET /api/images with the session: got %d %q, want 200", r.status, r.body)
	}

	r = e.do(t, "POST", "/api/logout", "", withCookie)
	if r.status != http.StatusOK {
		t.Fatalf("logout: got %d %q, want 200", r.status, r.body)
	}
	expired := sessionCookie(t, r.header)
	if expired.Value != "" || expired.MaxAge >= 0 || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout cookie: got %q, want an empty, expired cookie", r.header.Get("Set-Cookie"))
	}
	// The browser drops the cookie; a copy of it must not work either.
	if r := e.do(t, "GET", "/api/images", "", withCookie); r.status != http.StatusUnauthorized || r.body != "unauthorized\n" {
		t.Errorf("GET /api/images with the logged-out session: got %d %q, want 401 unauthorized", r.status, r.body)
	}
}

func TestDashboardLoginRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, body := range []string{
		`{"user":"admin","pass":"wrong"}`,
		`{"user":"root","pass":"s3cret pass"}`,
		`{"user":"admin","pass":""}`,
		`{"user":"admin","pass":"` + testKey + `"}`, // the key is the password only when none is set
	} {
		r := e.do(t, "POST", "/api/login", body, nil)
		if r.status != http.StatusUnauthorized || r.body != "unauthorized\n" || r.header.Get("Set-Cookie") != "" {
			t.Errorf("login %s: got %d %q cookie %q, want 401 unauthorized without cookie", body, r.status, r.body, r.header.Get("Set-Cookie"))
		}
		e.clock.add(20 * time.Second) // stay under the rate limit
	}
}

func TestDashboardLoginRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{})
	wrong := `{"user":"admin","pass":"guess"}`
	right := `{"user":"admin","pass":"s3cret pass"}`
	for i := 1; i <= 5; i++ {
		if r := e.do(t, "POST", "/api/login", wrong, nil); r.status != http.StatusUnauthorized {
			t.Fatalf("failed login %d: got %d, want 401", i, r.status)
		}
		e.clock.add(5 * time.Second)
	}
	// Blocked now, for the right password too.
	r := e.do(t, "POST", "/api/login", right, nil)
	if r.status != http.StatusTooManyRequests || r.body != "too many failed logins: try again in 25 seconds\n" || r.header.Get("Retry-After") != "25" {
		t.Fatalf("login after 5 failures: got %d %q Retry-After %q, want 429 for the 25 s left", r.status, r.body, r.header.Get("Retry-After"))
	}
	e.clock.add(24 * time.Second)
	if r := e.do(t, "POST", "/api/login", right, nil); r.status != http.StatusTooManyRequests {
		t.Fatalf("login 29 s after the block began: got %d, want 429", r.status)
	}
	e.clock.add(2 * time.Second)
	if r := e.do(t, "POST", "/api/login", right, nil); r.status != http.StatusOK {
		t.Fatalf("login after the block: got %d %q, want 200", r.status, r.body)
	}
	// Failures spread over more than a minute never block.
	for i := 1; i <= 8; i++ {
		if r := e.do(t, "POST", "/api/login", wrong, nil); r.status != http.StatusUnauthorized {
			t.Fatalf("slow failed login %d: got %d, want 401", i, r.status)
		}
		e.clock.add(15 * time.Second)
	}
}

func TestDashboardAuthOff(t *testing.T) {
	e := newEnv(t, envOptions{authOff: true})
	if r := e.do(t, "GET", "/api/auth/status", "", nil); r.body != `{"enabled":false}`+"\n" {
		t.Errorf("auth status: got %q, want {\"enabled\":false}", r.body)
	}
	if r := e.do(t, "GET", "/api/images", "", nil); r.status != http.StatusOK {
		t.Errorf("GET /api/images without login: got %d %q, want 200", r.status, r.body)
	}
	if r := e.do(t, "POST", "/api/images/nginx/update", "", nil); r.status != http.StatusOK {
		t.Errorf("update without login: got %d %q, want 200", r.status, r.body)
	}
	// Cross-origin writes stay refused: no login is no licence for CSRF.
	if r := e.do(t, "POST", "/api/images/nginx/update", "", map[string]string{"Origin": "http://evil.example"}); r.status != http.StatusForbidden {
		t.Errorf("cross-origin update with login off: got %d, want 403", r.status)
	}
}

func TestDashboardCrossOrigin(t *testing.T) {
	e := newEnv(t, envOptions{})
	session := e.login(t)
	same := strings.TrimPrefix(e.srv.URL, "http://")
	tests := []struct {
		name         string
		method, path string
		header       map[string]string
		status       int
	}{
		{"foreign origin", "POST", "/api/images/nginx/update", map[string]string{"Origin": "http://evil.example"}, 403},
		{"foreign port", "POST", "/api/images/nginx/update", map[string]string{"Origin": "http://127.0.0.1:1"}, 403},
		{"cross-site fetch", "POST", "/api/check", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site fetch", "POST", "/api/check", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"cross-site login", "POST", "/api/login", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-site logout", "POST", "/api/logout", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same origin", "POST", "/api/images/nginx/update", map[string]string{"Origin": "http://" + same, "Sec-Fetch-Site": "same-origin"}, 200},
		{"no browser headers", "POST", "/api/images/nginx/update", nil, 200},
		{"cross-site read", "GET", "/api/images", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Cookie": session["Cookie"]}
			for k, v := range tt.header {
				h[k] = v
			}
			r := e.do(t, tt.method, tt.path, "", h)
			if r.status != tt.status {
				t.Errorf("got %d %q, want %d", r.status, r.body, tt.status)
			}
			if tt.status == 403 && r.body != "cross-origin request refused\n" {
				t.Errorf("body: got %q, want cross-origin request refused", r.body)
			}
		})
	}
}

func TestDashboardSecureCookieOverTLS(t *testing.T) {
	e := newEnv(t, envOptions{tls: true})
	r := e.do(t, "POST", "/api/login", `{"user":"admin","pass":"s3cret pass"}`, nil)
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Set-Cookie"), "Secure") {
		t.Errorf("login over TLS: got %d cookie %q, want a Secure cookie", r.status, r.header.Get("Set-Cookie"))
	}
	plain := newEnv(t, envOptions{})
	r = plain.do(t, "POST", "/api/login", `{"user":"admin","pass":"s3cret pass"}`, map[string]string{"X-Forwarded-Proto": "https"})
	if !strings.Contains(r.header.Get("Set-Cookie"), "Secure") {
		t.Errorf("login behind a TLS proxy: cookie %q, want Secure", r.header.Get("Set-Cookie"))
	}
}

func TestDashboardBearerKey(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, h := range []string{"Bearer " + testKey, testKey, "bearer " + testKey} {
		if r := e.do(t, "GET", "/api/images", "", map[string]string{"Authorization": h}); r.status != http.StatusOK {
			t.Errorf("Authorization %q: got %d, want 200", strings.Replace(h, testKey, "<key>", 1), r.status)
		}
	}
	if r := e.do(t, "GET", "/api/images", "", map[string]string{"Authorization": fmt.Sprintf("Bearer %sx", testKey)}); r.status != http.StatusUnauthorized {
		t.Errorf("a longer key: got %d, want 401", r.status)
	}
}

// Behind a trusted reverse proxy, failed logins count against the client
// the proxy names: one guessing client is blocked, the others still log in.
func TestDashboardLoginRateLimitBehindAProxy(t *testing.T) {
	e := newEnv(t, envOptions{trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}})
	wrong := `{"user":"admin","pass":"guess"}`
	right := `{"user":"admin","pass":"s3cret pass"}`
	guesser := map[string]string{"X-Forwarded-For": "203.0.113.66"}
	for i := 1; i <= 5; i++ {
		if r := e.do(t, "POST", "/api/login", wrong, guesser); r.status != http.StatusUnauthorized {
			t.Fatalf("failed login %d: got %d, want 401", i, r.status)
		}
		e.clock.add(5 * time.Second)
	}
	if r := e.do(t, "POST", "/api/login", right, guesser); r.status != http.StatusTooManyRequests {
		t.Errorf("the guessing client after 5 failures: got %d, want 429", r.status)
	}
	if r := e.do(t, "POST", "/api/login", right, map[string]string{"X-Forwarded-For": "198.51.100.20"}); r.status != http.StatusOK {
		t.Errorf("another client behind the same proxy: got %d %q, want 200", r.status, r.body)
	}
}

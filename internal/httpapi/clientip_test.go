package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIPBehindTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("192.168.1.5/32")}
	tests := []struct {
		name, peer string
		forwarded  []string
		trusted    []netip.Prefix
		want       string
	}{
		{"no proxy trusted: the peer, whatever it forwards", "10.0.0.2:5000", []string{"203.0.113.9"}, nil, "10.0.0.2"},
		{"an untrusted peer's header is ignored", "198.51.100.7:5000", []string{"203.0.113.9"}, trusted, "198.51.100.7"},
		{"a trusted proxy names the client", "10.0.0.2:5000", []string{"203.0.113.9"}, trusted, "203.0.113.9"},
		{"a spoofed hop before the client stays ignored", "10.0.0.2:5000", []string{"1.2.3.4, 203.0.113.9"}, trusted, "203.0.113.9"},
		{"two trusted proxies in a row", "10.0.0.2:5000", []string{"203.0.113.9, 192.168.1.5"}, trusted, "203.0.113.9"},
		{"headers repeated", "10.0.0.2:5000", []string{"1.2.3.4", "203.0.113.9"}, trusted, "203.0.113.9"},
		{"no header: the proxy", "10.0.0.2:5000", nil, trusted, "10.0.0.2"},
		{"a hop that is no address: the proxy", "10.0.0.2:5000", []string{"unknown"}, trusted, "10.0.0.2"},
		{"only trusted hops: the farthest", "10.0.0.2:5000", []string{"10.0.0.3"}, trusted, "10.0.0.3"},
		{"IPv6 client", "10.0.0.2:5000", []string{"2001:db8::1"}, trusted, "2001:db8::1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/login", nil)
			r.RemoteAddr = tc.peer
			for _, h := range tc.forwarded {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := clientIP(r, tc.trusted); got != tc.want {
				t.Errorf("clientIP: got %s, want %s", got, tc.want)
			}
		})
	}
}

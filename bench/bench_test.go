package bench

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		method, path, ua   string
		wantClient, wantKd string
	}{
		{"GET", "/v2/", "cutover go-containerregistry/v0.22.1", clientCutover, kindPing},
		{"HEAD", "/v2/cutover-bench/app-00/manifests/latest", "cutover go-containerregistry/v0.22.1", clientCutover, kindManifestHd},
		{"GET", "/v2/cutover-bench/app-00/manifests/latest", "docker/20.10.24 go/go1.19.8", clientEngine, kindManifestGet},
		{"GET", "/v2/cutover-bench/app-00/blobs/sha256:abc", "docker/20.10.24 go/go1.19.8", clientEngine, kindBlob},
		{"POST", "/v2/cutover-bench/app-00/blobs/uploads/", "cutover-bench go-containerregistry", clientOther, kindOther},
		{"GET", "/token", "cutover go-containerregistry", clientCutover, kindToken},
	}
	for _, tt := range tests {
		c, k := classify(tt.method, tt.path, tt.ua)
		if c != tt.wantClient || k != tt.wantKd {
			t.Errorf("classify(%s %s, %q): got %s/%s, want %s/%s", tt.method, tt.path, tt.ua, c, k, tt.wantClient, tt.wantKd)
		}
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 200; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    int
		want time.Duration
	}{{50, 100 * time.Millisecond}, {99, 198 * time.Millisecond}, {100, 200 * time.Millisecond}} {
		if got := percentile(ds, tt.p); got != tt.want {
			t.Errorf("percentile(1..200 ms, %d): got %s, want %s", tt.p, got, tt.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile(nil, 50): got %s, want 0", got)
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("percentile([7], 99): got %s, want 7ns", got)
	}
}

func TestGapStats(t *testing.T) {
	gaps := []Gap{
		{Name: "a", Max: 300 * time.Millisecond, Back: true},
		{Name: "b", Max: 100 * time.Millisecond, Back: true, Moved: true},
		{Name: "c", Max: 2 * time.Second, Back: false},
	}
	maxGap, median, lost, moved := gapStats(gaps)
	if maxGap != 2*time.Second || median != 300*time.Millisecond || lost != 1 || moved != 1 {
		t.Errorf("gapStats: got max %s, median %s, lost %d, moved %d; want 2s, 300ms, 1, 1", maxGap, median, lost, moved)
	}
}

// The proxy forwards with the client's Host header, so that a registry's
// upload locations point back at the proxy, and counts by client and kind.
func TestProxyForwardsAndCounts(t *testing.T) {
	var gotHost string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHost = r.Host
		io.WriteString(w, "ok")
	}))
	defer upstream.Close()
	p, err := StartProxy(strings.TrimPrefix(upstream.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	send := func(method, path, ua string) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+p.Addr()+path, nil)
		req.Header.Set("User-Agent", ua)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send("GET", "/v2/", "cutover go-containerregistry")
	send("HEAD", "/v2/a/manifests/latest", "cutover go-containerregistry")
	send("GET", "/v2/a/manifests/latest", "docker/20.10")
	// A client trying HTTPS first on the plain-HTTP port.
	tc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if resp, err := tc.Get("https://" + p.Addr() + "/v2/"); err == nil {
		resp.Body.Close()
		t.Errorf("HTTPS to the proxy: got an answer, want a failed handshake")
	}

	if gotHost != p.Addr() {
		t.Errorf("Host seen upstream: got %q, want the proxy's %q", gotHost, p.Addr())
	}
	got := p.Traffic()
	want := Traffic{
		Requests: map[string]map[string]int{
			clientCutover: {kindPing: 1, kindManifestHd: 1},
			clientEngine:  {kindManifestGet: 1},
		},
		TLSAttempts: 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("traffic (-want +got):\n%s", diff)
	}
	if got.Total(clientCutover) != 2 || got.Pulls() != 1 {
		t.Errorf("Total(cutover), Pulls: got %d, %d; want 2, 1", got.Total(clientCutover), got.Pulls())
	}
	p.Reset()
	if n := p.Traffic().Total(""); n != 0 {
		t.Errorf("after Reset: got %d requests, want 0", n)
	}
}

func TestStatusCounts(t *testing.T) {
	out := []byte(`[{"image":"a","containers":[{"container_name":"x","status":"outdated"},{"container_name":"y","status":"uptodate"}]},
	{"image":"b","containers":[{"container_name":"z","status":"outdated"}]}]`)
	got, err := statusCounts(out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"outdated": 2, "uptodate": 1}, got); diff != "" {
		t.Errorf("statusCounts (-want +got):\n%s", diff)
	}
}

func TestContainerHostAddr(t *testing.T) {
	var ci containerInfo
	ci.NetworkSettings.Ports = map[string][]struct {
		HostIP   string `json:"HostIp"`
		HostPort string `json:"HostPort"`
	}{"8000/tcp": {{HostIP: "::1", HostPort: "1"}, {HostIP: "127.0.0.1", HostPort: "49153"}}}
	if got := ci.hostAddr("8000/tcp"); got != "127.0.0.1:49153" {
		t.Errorf("hostAddr: got %q, want 127.0.0.1:49153", got)
	}
	if got := ci.hostAddr("9000/tcp"); got != "" {
		t.Errorf("hostAddr of an unpublished port: got %q, want empty", got)
	}
}

func TestWithBenchLabel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `{"label":{"cutover.bench=1":true}}`},
		{`{"status":{"running":true}}`, `{"label":{"cutover.bench=1":true},"status":{"running":true}}`},
		{`{"label":{"a=b":true}}`, `{"label":{"a=b":true,"cutover.bench=1":true}}`},
		{`{"label":["a=b"]}`, `{"label":["a=b","cutover.bench=1"]}`},
	}
	for _, tt := range tests {
		if got := withBenchLabel(tt.in); got != tt.want {
			t.Errorf("withBenchLabel(%s): got %s, want %s", tt.in, got, tt.want)
		}
	}
}

// The engine proxy narrows container lists to the bench's and passes
// every other call through untouched.
func TestEngineProxyFiltersContainerLists(t *testing.T) {
	dir := t.TempDir()
	var got []string
	upstream := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path+" "+r.URL.Query().Get("filters"))
	})}
	ln, err := net.Listen("unix", filepath.Join(dir, "upstream.sock"))
	if err != nil {
		t.Fatal(err)
	}
	go upstream.Serve(ln)
	defer upstream.Close()
	p, err := StartEngineProxy(dir, filepath.Join(dir, "upstream.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	api := newEngineAPI(strings.TrimPrefix(p.Host(), "unix://"))
	ctx := t.Context()
	for _, path := range []string{"/v1.41/containers/json?all=1", "/containers/json", "/v1.41/containers/abc/json"} {
		if err := api.do(ctx, http.MethodGet, path, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		`GET /v1.41/containers/json {"label":{"cutover.bench=1":true}}`,
		`GET /containers/json {"label":{"cutover.bench=1":true}}`,
		`GET /v1.41/containers/abc/json `,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests upstream (-want +got):\n%s", diff)
	}
}

package bench

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"

	"github.com/cutover/cutover/internal/socketproxy"
)

// EngineProxy is a unix socket in front of the Docker engine that lists only
// containers labelled cutover.bench=1. cutover and the floor's restarts talk
// to the engine through it, so that on a shared machine nothing cutover does
// at start-up (it recovers unfinished swaps engine-wide) reaches containers
// the bench did not create, and both pay the same extra hop.
type EngineProxy struct {
	*socketproxy.Proxy
}

// containerList matches the engine's list call, with or without a version.
var containerList = regexp.MustCompile(`^(/v[0-9.]+)?/containers/json$`)

// StartEngineProxy listens on dir/engine.sock and forwards to the engine's
// socket at upstream.
func StartEngineProxy(dir, upstream string) (*EngineProxy, error) {
	p, err := socketproxy.Start(filepath.Join(dir, "engine.sock"), upstream, func(forward http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && containerList.MatchString(r.URL.Path) {
				q := r.URL.Query()
				q.Set("filters", withBenchLabel(q.Get("filters")))
				r.URL.RawQuery = q.Encode()
			}
			forward.ServeHTTP(w, r)
		})
	})
	if err != nil {
		return nil, err
	}
	return &EngineProxy{Proxy: p}, nil
}

// withBenchLabel adds label=cutover.bench=1 to a list call's filters, in
// either of the two forms the engine accepts: {"label":{"k=v":true}} (what
// clients send today) or {"label":["k=v"]}.
func withBenchLabel(filters string) string {
	f := map[string]any{}
	if filters != "" {
		if err := json.Unmarshal([]byte(filters), &f); err != nil {
			f = map[string]any{}
		}
	}
	switch l := f["label"].(type) {
	case []any:
		f["label"] = append(l, benchLabel)
	case map[string]any:
		l[benchLabel] = true
	default:
		f["label"] = map[string]bool{benchLabel: true}
	}
	b, _ := json.Marshal(f)
	return string(b)
}

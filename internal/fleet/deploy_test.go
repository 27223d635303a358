package fleet

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
)

func TestDeploy(t *testing.T) {
	tests := []struct {
		name string
		req  engine.DeployRequest
		// want is the container updated, as HOST/NAME; wantErr what a
		// refused request says, with errIs the kind of error.
		want    string
		wantErr string
		errIs   error
	}{
		{name: "host", req: engine.DeployRequest{Host: "b", Container: "web"}, want: "b/web"},
		{name: "engine/name", req: engine.DeployRequest{Container: "a/web"}, want: "a/web"},
		{name: "host and the same engine/name", req: engine.DeployRequest{Host: "b", Container: "b/web"}, want: "b/web"},
		{name: "bare name on one engine", req: engine.DeployRequest{Container: "api"}, want: "b/api"},
		{name: "bare name with the engine's slash", req: engine.DeployRequest{Container: "/cache"}, want: "a/cache"},
		{name: "bare name on two engines", req: engine.DeployRequest{Container: "web"},
			wantErr: `container "web" runs on several engines (a, b): name one as a/web or b/web`, errIs: engine.ErrInvalid},
		{name: "host and engine/name disagree", req: engine.DeployRequest{Host: "a", Container: "b/web"},
			wantErr: `invalid: container "b/web" names engine b, but host says a`, errIs: engine.ErrInvalid},
		{name: "unknown host", req: engine.DeployRequest{Host: "c", Container: "web"},
			wantErr: `no engine named "c": the engines are a, b`, errIs: engine.ErrInvalid},
		{name: "bare name on no engine", req: engine.DeployRequest{Container: "nope"},
			wantErr: "no container named nope on any engine: not found", errIs: engine.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
			req := tt.req
			req.Image = appRef
			out, err := w.fleet.Deploy(context.Background(), req, nil)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, tt.errIs) {
					t.Errorf("Deploy %+v: got %v, want %q (%v)", tt.req, err, tt.wantErr, tt.errIs)
				}
				for _, h := range []string{"a", "b"} {
					untouched(t, h, w.engines[h])
				}
				return
			}
			if err != nil || out.Result != engine.ResultUpdated {
				t.Fatalf("Deploy %+v: got %s, %v (%v), want %s updated", tt.req, out.Result, err, out.Err, tt.want)
			}
			host, _ := engine.SplitName(tt.want)
			if out.FullName() != tt.want || out.Host != host {
				t.Errorf("Deploy %+v: got outcome of %q on %q, want %s", tt.req, out.FullName(), out.Host, tt.want)
			}
			// Only the container meant runs the new image; its namesake on
			// the other engine is left as it was.
			want := map[string]string{}
			for h, names := range twoEngines {
				for _, n := range names {
					full := engine.FullName(h, n)
					want[full] = oldImage
					if full == tt.want {
						want[full] = newImage
					}
				}
			}
			got := map[string]string{}
			for h, rt := range w.engines {
				for _, n := range twoEngines[h] {
					got[engine.FullName(h, n)] = rt.imageOf(n)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("images run after deploying %s (-want +got):\n%s", tt.want, diff)
			}
			other := "a"
			if host == "a" {
				other = "b"
			}
			untouched(t, other, w.engines[other])
		})
	}
}

// A fleet of one takes a deploy by bare name, or by its own name, and
// refuses another engine's.
func TestDeployOnOneEngine(t *testing.T) {
	for _, req := range []engine.DeployRequest{{Container: "web"}, {Host: engine.LocalHost, Container: "web"}, {Container: "local/web"}} {
		w := newWorld(t, map[string][]string{engine.LocalHost: {"web"}}, []string{engine.LocalHost}, nil)
		req.Image = appRef
		out, err := w.fleet.Deploy(context.Background(), req, nil)
		if err != nil || out.Result != engine.ResultUpdated || out.FullName() != "web" {
			t.Errorf("Deploy %+v: got %q %s, %v, want web updated", req, out.FullName(), out.Result, err)
		}
	}
	w := newWorld(t, map[string][]string{engine.LocalHost: {"web"}}, []string{engine.LocalHost}, nil)
	_, err := w.fleet.Deploy(context.Background(), engine.DeployRequest{Host: "other", Container: "web", Image: appRef}, nil)
	var unknown *UnknownHostError
	if !errors.As(err, &unknown) || unknown.Host != "other" {
		t.Errorf("Deploy on engine other: got %v, want an UnknownHostError for other", err)
	}
	untouched(t, engine.LocalHost, w.engines[engine.LocalHost])
}

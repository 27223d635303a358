package fleet

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
)

// Both engines run web; only a runs cache, only b runs api.
var twoEngines = map[string][]string{"a": {"web", "cache"}, "b": {"web", "api"}}

// hostErrors is Report.Hosts as engine name to error text ("" for none).
func hostErrors(r engine.Report) map[string]string {
	out := map[string]string{}
	for _, h := range r.Hosts {
		out[h.Host] = ""
		if h.Err != nil {
			out[h.Host] = h.Err.Error()
		}
	}
	return out
}

func TestCheckMergesEngines(t *testing.T) {
	w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
	report, err := w.fleet.Check(context.Background(), engine.CheckOptions{})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if len(report.Groups) != 1 || report.Groups[0].Image != appRef {
		t.Fatalf("groups: got %+v, want one of %s", report.Groups, appRef)
	}
	type row struct{ Host, Name, Status string }
	var got []row
	for _, cs := range report.Groups[0].Containers {
		got = append(got, row{cs.Container.Host, cs.Container.Name, string(cs.Status)})
	}
	want := []row{{"a", "cache", "outdated"}, {"a", "web", "outdated"}, {"b", "api", "outdated"}, {"b", "web", "outdated"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("containers of %s (-want +got):\n%s", appRef, diff)
	}
	if diff := cmp.Diff(map[string]string{"a": "", "b": ""}, hostErrors(report)); diff != "" {
		t.Errorf("Report.Hosts (-want +got):\n%s", diff)
	}
	for _, h := range []string{"a", "b"} {
		untouched(t, h, w.engines[h])
	}
}

func TestCheckResolvesNames(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		want  []string // the containers checked, as HOST/NAME
		// hosts are the engines asked, wantErr what the error says.
		hosts   []string
		wantErr string
		errIs   error
	}{
		{name: "engine and name", names: []string{"a/web"}, want: []string{"a/web"}, hosts: []string{"a"}},
		{name: "other engine, same name", names: []string{"b/web"}, want: []string{"b/web"}, hosts: []string{"b"}},
		{name: "bare name on one engine", names: []string{"api"}, want: []string{"b/api"}, hosts: []string{"b"}},
		{name: "names on both engines", names: []string{"cache", "b/web"}, want: []string{"a/cache", "b/web"}, hosts: []string{"a", "b"}},
		{name: "one name on both engines", names: []string{"a/web", "b/web"}, want: []string{"a/web", "b/web"}, hosts: []string{"a", "b"}},
		{name: "bare name on both engines", names: []string{"web"},
			wantErr: `container "web" runs on several engines (a, b): name one as a/web or b/web`, errIs: engine.ErrInvalid},
		{name: "unknown engine", names: []string{"c/web"},
			wantErr: `no engine named "c": the engines are a, b`, errIs: engine.ErrInvalid},
		{name: "bare name on no engine", names: []string{"nope"},
			wantErr: "no running container named nope on any engine: not found", errIs: engine.ErrNotFound},
		{name: "engine without that name", names: []string{"a/nope", "b/web"}, errIs: engine.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
			report, err := w.fleet.Check(context.Background(), engine.CheckOptions{Names: tt.names})
			if tt.errIs != nil {
				if err == nil || (tt.wantErr != "" && err.Error() != tt.wantErr) || !errors.Is(err, tt.errIs) {
					t.Fatalf("Check %q: got error %v, want %q (%v)", tt.names, err, tt.wantErr, tt.errIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check %q: %v", tt.names, err)
			}
			if got := fullNames(report); !slices.Equal(got, tt.want) {
				t.Errorf("Check %q: got containers %q, want %q", tt.names, got, tt.want)
			}
			var asked []string
			for _, h := range report.Hosts {
				asked = append(asked, h.Host)
			}
			if !slices.Equal(asked, tt.hosts) {
				t.Errorf("Check %q: got Report.Hosts %q, want %q", tt.names, asked, tt.hosts)
			}
		})
	}
}

// A bare name on two engines is an AmbiguousError a caller can tell apart,
// and a request's fault.
func TestCheckAmbiguousError(t *testing.T) {
	w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
	_, err := w.fleet.Check(context.Background(), engine.CheckOptions{Names: []string{"/web"}})
	var amb *AmbiguousError
	if !errors.As(err, &amb) {
		t.Fatalf("Check web: got %v, want an AmbiguousError", err)
	}
	if amb.Name != "web" || !slices.Equal(amb.Hosts, []string{"a", "b"}) {
		t.Errorf("AmbiguousError: got name %q on %q, want web on a, b", amb.Name, amb.Hosts)
	}
	if !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("AmbiguousError %v: got not ErrInvalid, want ErrInvalid", err)
	}
	for _, full := range []string{"a/web", "b/web"} {
		if !strings.Contains(err.Error(), full) {
			t.Errorf("AmbiguousError: got %q, want it to name %s", err, full)
		}
	}

	_, err = w.fleet.Check(context.Background(), engine.CheckOptions{Names: []string{"c/web"}})
	var unknown *UnknownHostError
	if !errors.As(err, &unknown) || unknown.Host != "c" {
		t.Errorf("Check c/web: got %v, want an UnknownHostError for c", err)
	}
}

// An engine that does not answer shows as such in the report, and holds
// back only its own containers.
func TestCheckWithAnEngineDown(t *testing.T) {
	refused := errors.New("Cannot connect to the Docker daemon at tcp://b:2376. Is the docker daemon running?")
	tests := []struct {
		name  string
		names []string
		want  []string
		// wantHosts is Report.Hosts, wantErr the error of a check that
		// fails.
		wantHosts map[string]string
		wantErr   string
	}{
		{name: "all containers", want: []string{"a/cache", "a/web"}, wantHosts: map[string]string{"a": "", "b": refused.Error()}},
		{name: "bare name the other has too", names: []string{"web"}, want: []string{"a/web"}, wantHosts: map[string]string{"a": ""}},
		{name: "bare name only the engine down has", names: []string{"api"},
			wantErr: "no running container named api on any engine; no answer from b (" + refused.Error() + ")"},
		{name: "name on the engine down", names: []string{"b/web"}, wantErr: refused.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
			w.engines["b"].setDown(refused)
			report, err := w.fleet.Check(context.Background(), engine.CheckOptions{Names: tt.names})
			// Whatever the check asked, what each engine answered is kept.
			for _, st := range w.fleet.States() {
				if st.Host == "b" && (st.Err == nil || st.At.IsZero()) || st.Host == "a" && st.Err != nil {
					t.Errorf("Check %q: engine %s's state: got %v at %v, want a answering and b down", tt.names, st.Host, st.Err, st.At)
				}
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Check %q: got error %v, want one saying %q", tt.names, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check %q: got %v, want a report of a", tt.names, err)
			}
			if got := fullNames(report); !slices.Equal(got, tt.want) {
				t.Errorf("Check %q: got containers %q, want %q", tt.names, got, tt.want)
			}
			if diff := cmp.Diff(tt.wantHosts, hostErrors(report)); diff != "" {
				t.Errorf("Report.Hosts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckWithEveryEngineDown(t *testing.T) {
	w := newWorld(t, twoEngines, []string{"a", "b"}, nil)
	w.engines["a"].setDown(errors.New("connection refused"))
	w.engines["b"].setDown(errors.New("no route to host"))
	report, err := w.fleet.Check(context.Background(), engine.CheckOptions{})
	if err == nil {
		t.Fatalf("Check: got a report of %q, want an error", fullNames(report))
	}
	for _, want := range []string{"engine a: connection refused", "engine b: no route to host"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check: got error %q, want it to say %q", err, want)
		}
	}
}

// A fleet of one engine is cutover watching one engine: bare names, and its
// own name before them, name its containers, which carry no host.
func TestCheckOfOneEngine(t *testing.T) {
	w := newWorld(t, map[string][]string{engine.LocalHost: {"web", "api"}}, []string{engine.LocalHost}, nil)
	for _, names := range [][]string{{"web"}, {"local/web"}, {"/web"}} {
		report, err := w.fleet.Check(context.Background(), engine.CheckOptions{Names: names})
		if err != nil {
			t.Errorf("Check %q: %v", names, err)
			continue
		}
		if got := fullNames(report); !slices.Equal(got, []string{"web"}) {
			t.Errorf("Check %q: got containers %q, want [web]", names, got)
		}
	}
	_, err := w.fleet.Check(context.Background(), engine.CheckOptions{Names: []string{"other/web"}})
	var unknown *UnknownHostError
	if !errors.As(err, &unknown) {
		t.Errorf("Check other/web: got %v, want an UnknownHostError", err)
	}
}

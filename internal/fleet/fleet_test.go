package fleet

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

const (
	appRef   = "127.0.0.1:5000/app:latest"
	digestV1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digestV2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	digestV3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	// The image every container of a test runs (v1), and the one a pull of
	// appRef brings (v2), which the registry offers.
	oldImage = "sha256:app1"
	newImage = "sha256:app2"
)

// world is a fleet of fake engines whose containers all run appRef at v1
// while the registry offers v2, each engine asking the registry through
// one shared Registry.
type world struct {
	fleet   *Fleet
	engines map[string]*fakeEngine
	reg     *countingRegistry
}

// newWorld builds a fleet of the engines named hosts, each running the
// containers named in runs[host]. A fleet of one leaves its engine's Host
// empty, as cutover watching one engine does. tune, when set, adjusts an
// engine's options.
func newWorld(t *testing.T, runs map[string][]string, hosts []string, tune func(host string, o *engine.Options)) *world {
	t.Helper()
	w := &world{engines: map[string]*fakeEngine{}, reg: newCountingRegistry(map[string]string{appRef: digestV2})}
	shared := NewRegistry()
	var members []Member
	for _, h := range hosts {
		rt := newFakeEngine()
		rt.image(appRef, oldImage, digestV1, newImage, digestV2)
		for _, n := range runs[h] {
			rt.run(n, appRef)
		}
		opts := engine.Options{HealthGrace: 20 * time.Millisecond, HealthTimeout: time.Second, ProbeInterval: 5 * time.Millisecond}
		if len(hosts) > 1 {
			opts.Host = h
		}
		if tune != nil {
			tune(h, &opts)
		}
		w.engines[h] = rt
		members = append(members, Member{Name: h, Engine: engine.New(rt, shared.For(w.reg, "linux/amd64"), nil, nil, opts)})
	}
	f, err := New(members...)
	if err != nil {
		t.Fatalf("New(%v): %v", hosts, err)
	}
	w.fleet = f
	return w
}

// fullNames lists the containers of a report as HOST/NAME, sorted.
func fullNames(r engine.Report) []string {
	var out []string
	for _, g := range r.Groups {
		for _, cs := range g.Containers {
			out = append(out, cs.Container.FullName())
		}
	}
	slices.Sort(out)
	return out
}

// untouched fails the test when the engine was asked to change anything.
func untouched(t *testing.T, host string, rt *fakeEngine) {
	t.Helper()
	if calls := rt.callLog(); len(calls) != 0 {
		t.Errorf("engine %s: got calls %q, want none", host, calls)
	}
}

func TestNew(t *testing.T) {
	engineOf := func(host string) *engine.Engine {
		return engine.New(newFakeEngine(), newCountingRegistry(nil), nil, nil, engine.Options{Host: host})
	}
	tests := []struct {
		name    string
		members []Member
		wantErr string // "" when the fleet is valid
	}{
		{name: "no members", wantErr: "no engine to watch"},
		{name: "empty name", members: []Member{{Name: "", Engine: engineOf("")}}, wantErr: `engine name ""`},
		{name: "name with a slash", members: []Member{{Name: "a/b", Engine: engineOf("")}}, wantErr: `engine name "a/b"`},
		{name: "name with a space", members: []Member{{Name: "a b", Engine: engineOf("")}}, wantErr: `engine name "a b"`},
		{name: "name starting with a dash", members: []Member{{Name: "-a", Engine: engineOf("")}}, wantErr: `engine name "-a"`},
		{name: "name of 64 characters", members: []Member{{Name: strings.Repeat("a", 64), Engine: engineOf("")}}, wantErr: "at most 63 characters"},
		{name: "name given twice", members: []Member{{Name: "a", Engine: engineOf("a")}, {Name: "a", Engine: engineOf("a")}}, wantErr: `engine name "a" is given twice`},
		{name: "no engine", members: []Member{{Name: "a"}}, wantErr: "engine a: no engine"},
		{name: "engine naming itself otherwise", members: []Member{{Name: "a", Engine: engineOf("a")}, {Name: "b", Engine: engineOf("c")}}, wantErr: `engine b: its engine names itself "c", want "b"`},
		{name: "engine of several naming itself nothing", members: []Member{{Name: "a", Engine: engineOf("")}, {Name: "b", Engine: engineOf("b")}}, wantErr: `engine a: its engine names itself "", want "a"`},
		{name: "one engine naming itself nothing", members: []Member{{Name: engine.LocalHost, Engine: engineOf("")}}},
		{name: "several engines naming themselves", members: []Member{{Name: "a", Engine: engineOf("a")}, {Name: "web-1.lan_2", Engine: engineOf("web-1.lan_2")}}},
		{name: "name of 63 characters", members: []Member{{Name: strings.Repeat("a", 63), Engine: engineOf("")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := New(tt.members...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: got %v, want a fleet", err)
				}
				var want []string
				for _, m := range tt.members {
					want = append(want, m.Name)
				}
				if got := f.Names(); !slices.Equal(got, want) {
					t.Errorf("Names: got %q, want %q", got, want)
				}
				if got, want := f.Several(), len(tt.members) > 1; got != want {
					t.Errorf("Several: got %v, want %v", got, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New: got error %v, want one saying %q", err, tt.wantErr)
			}
			if f != nil {
				t.Errorf("New: got a fleet %v with the error, want none", f.Names())
			}
		})
	}
}

func TestMember(t *testing.T) {
	w := newWorld(t, nil, []string{"a", "b"}, nil)
	if m, err := w.fleet.Member("b"); err != nil || m.Name != "b" || m.Engine.Host() != "b" {
		t.Errorf(`Member("b"): got %q (host %q), %v; want engine b`, m.Name, m.Engine.Host(), err)
	}
	_, err := w.fleet.Member("c")
	var unknown *UnknownHostError
	if !errors.As(err, &unknown) || unknown.Host != "c" || !slices.Equal(unknown.Hosts, []string{"a", "b"}) || !errors.Is(err, engine.ErrInvalid) {
		t.Errorf(`Member("c"): got %v, want an UnknownHostError for c among a, b that is ErrInvalid`, err)
	}
	if _, err := w.fleet.Member(""); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf(`Member("") of several: got %v, want ErrInvalid`, err)
	}

	one := newWorld(t, nil, []string{engine.LocalHost}, nil)
	if m, err := one.fleet.Member(""); err != nil || m.Name != engine.LocalHost {
		t.Errorf(`Member("") of one: got %q, %v; want the one engine`, m.Name, err)
	}
}

// PingEach asks every engine and keeps what each said, for /health and
// the dashboard; a member that cannot be asked counts as answering.
func TestPingEach(t *testing.T) {
	refused := errors.New("connection refused")
	mk := func(name string, ping func(context.Context) error) Member {
		return Member{Name: name, Engine: engine.New(newFakeEngine(), newCountingRegistry(nil), nil, nil, engine.Options{Host: name}), Ping: ping}
	}
	f, err := New(
		mk("a", func(context.Context) error { return nil }),
		mk("b", func(context.Context) error { return refused }),
		mk("c", nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range f.States() {
		if s.Err != nil || !s.At.IsZero() {
			t.Errorf("engine %s before any ask: got %v at %v, want never asked", s.Host, s.Err, s.At)
		}
	}
	got := f.PingEach(context.Background())
	if len(got) != 3 || got[0].Err != nil || !errors.Is(got[1].Err, refused) || got[2].Err != nil || got[1].At.IsZero() {
		t.Errorf("PingEach: got %+v, want a and c answering, b refused, each with the time asked", got)
	}
	if s := f.States(); !errors.Is(s[1].Err, refused) {
		t.Errorf("States after PingEach: got %+v, want b's refusal kept", s)
	}
}

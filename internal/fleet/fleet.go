package fleet

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// Member is one engine of a fleet.
type Member struct {
	// Name is the engine's name, as people write it before a container's
	// (NAME/container): what --host NAME=URL says, engine.LocalHost when
	// it says none.
	Name string
	// Engine updates the engine's containers. Among several members its
	// Options.Host is Name; a fleet of one leaves it empty.
	Engine *engine.Engine
	// Ping tells whether the engine answers now; nil when it cannot be
	// asked.
	Ping func(ctx context.Context) error
}

// Fleet is the engines cutover watches. It is safe for concurrent use.
type Fleet struct {
	members []Member

	mu     sync.Mutex
	states []State
}

// State is what cutover last heard from one engine.
type State struct {
	Host string
	// Err says why the engine did not answer the last time it was asked;
	// nil when it answered.
	Err error
	// At is when it was last asked; zero when it never was.
	At time.Time
}

// validName is what an engine's name may be: a container's name never
// holds a slash, nor does an engine's, so NAME/container splits again.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// CheckName says why name cannot name an engine, or nil.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("engine name %q: want letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 characters", name)
	}
	return nil
}

// New returns the fleet of members, in their order.
func New(members ...Member) (*Fleet, error) {
	if len(members) == 0 {
		return nil, errors.New("no engine to watch")
	}
	seen := map[string]bool{}
	for _, m := range members {
		if err := CheckName(m.Name); err != nil {
			return nil, err
		}
		if seen[m.Name] {
			return nil, fmt.Errorf("engine name %q is given twice", m.Name)
		}
		seen[m.Name] = true
		if m.Engine == nil {
			return nil, fmt.Errorf("engine %s: no engine", m.Name)
		}
		if len(members) > 1 && m.Engine.Host() != m.Name {
			return nil, fmt.Errorf("engine %s: its engine names itself %q, want %q", m.Name, m.Engine.Host(), m.Name)
		}
	}
	f := &Fleet{members: slices.Clone(members), states: make([]State, len(members))}
	for i, m := range members {
		f.states[i].Host = m.Name
	}
	return f, nil
}

// PingEach asks every engine at once whether it answers, and keeps what
// each said (States). A member that cannot be asked counts as answering.
func (f *Fleet) PingEach(ctx context.Context) []State {
	errs := make([]error, len(f.members))
	f.each(func(i int, m Member) {
		if m.Ping != nil {
			errs[i] = m.Ping(ctx)
		}
	})
	f.note(errs)
	return f.States()
}

// States returns what each engine answered the last time it was asked, in
// member order.
func (f *Fleet) States() []State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.states)
}

// note records how the members asked answered: errs[i] for member i,
// where asked is nil or asked[i].
func (f *Fleet) note(errs []error, asked ...[]bool) {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.members {
		if len(asked) > 0 && !asked[0][i] {
			continue
		}
		f.states[i].Err, f.states[i].At = errs[i], now
	}
}

// Names returns the engines' names in order.
func (f *Fleet) Names() []string {
	out := make([]string, len(f.members))
	for i, m := range f.members {
		out[i] = m.Name
	}
	return out
}

// Several reports whether the fleet has more than one engine: only then do
// people see containers as ENGINE/NAME.
func (f *Fleet) Several() bool { return len(f.members) > 1 }

// UnknownHostError names an engine the fleet does not have.
type UnknownHostError struct {
	Host  string
	Hosts []string
}

func (e *UnknownHostError) Error() string {
	return fmt.Sprintf("no engine named %q: the engines are %s", e.Host, strings.Join(e.Hosts, ", "))
}

// Unwrap makes the error a request's fault (engine.ErrInvalid).
func (e *UnknownHostError) Unwrap() error { return engine.ErrInvalid }

// Member returns the engine named host; "" names the one engine of a
// fleet of one, which is how its containers name it (Container.Host).
func (f *Fleet) Member(host string) (Member, error) {
	if host == "" && len(f.members) == 1 {
		return f.members[0], nil
	}
	for _, m := range f.members {
		if m.Name == host {
			return m, nil
		}
	}
	if host == "" {
		return Member{}, fmt.Errorf("%w: no engine named, and there are several: %s", engine.ErrInvalid, strings.Join(f.Names(), ", "))
	}
	return Member{}, &UnknownHostError{Host: host, Hosts: f.Names()}
}

// each runs fn once per member, all at once, and waits for them all.
func (f *Fleet) each(fn func(i int, m Member)) {
	if len(f.members) == 1 {
		fn(0, f.members[0])
		return
	}
	var wg sync.WaitGroup
	for i, m := range f.members {
		wg.Go(func() { fn(i, m) })
	}
	wg.Wait()
}

// byHost splits containers by the member they run on, in member order.
func (f *Fleet) index(host string) int {
	if host == "" && len(f.members) == 1 {
		return 0
	}
	for i, m := range f.members {
		if m.Name == host {
			return i
		}
	}
	return -1
}

// wrap names the engine in an error when there are several.
func (f *Fleet) wrap(m Member, err error) error {
	if err == nil || !f.Several() {
		return err
	}
	return fmt.Errorf("engine %s: %w", m.Name, err)
}

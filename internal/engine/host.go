package engine

import (
	"context"
	"strings"
)

// LocalHost is the name of the engine cutover reaches when it is not told
// a name for it: the one an unnamed --host, DOCKER_HOST or the default
// socket names. What cutover keeps about its containers is stored as a
// cutover watching that one engine stores it.
const LocalHost = "local"

// FullName is how people name a container of an engine among several:
// "HOST/NAME"; with one engine (host empty) it is the name alone. Neither
// a container's name nor an engine's holds a slash, so the two split again
// unambiguously (SplitName).
func FullName(host, name string) string {
	if host == "" {
		return name
	}
	return host + "/" + name
}

// SplitName reads "HOST/NAME" as the engine's name and the container's,
// and anything else as a container's name with no engine said. A leading
// slash (the engine's own way of writing a name) is no engine.
func SplitName(s string) (host, name string) {
	if h, n, ok := strings.Cut(s, "/"); ok && h != "" {
		return h, n
	}
	return "", strings.TrimPrefix(s, "/")
}

// FullName is c's name as people see it (see the package's FullName).
func (c Container) FullName() string { return FullName(c.Host, c.Name) }

// Named reports whether n names c: its name (with or without the engine's
// leading slash), its id, or an id prefix of at least 12 characters.
func (c Container) Named(n string) bool {
	n = strings.TrimPrefix(n, "/")
	return c.Name == n || c.ID == n || (len(n) >= 12 && strings.HasPrefix(c.ID, n))
}

// FullName is the name of the container the event is about, as people see
// it; "" for an image-wide event.
func (e Event) FullName() string {
	if e.Container == "" {
		return ""
	}
	return FullName(e.Host, e.Container)
}

// FullName is the updated container's name as people see it.
func (o Outcome) FullName() string {
	if o.Container == "" {
		return ""
	}
	return FullName(o.Host, o.Container)
}

// hosted stamps every container a runtime reports with the engine's name.
type hosted struct {
	Runtime
	host string
}

func (h hosted) Containers(ctx context.Context, all bool) ([]Container, error) {
	cs, err := h.Runtime.Containers(ctx, all)
	for i := range cs {
		cs[i].Host = h.host
	}
	return cs, err
}

func (h hosted) Container(ctx context.Context, idOrName string) (Container, error) {
	c, err := h.Runtime.Container(ctx, idOrName)
	if err == nil {
		c.Host = h.host
	}
	return c, err
}

// hostedServices stamps every service a Swarm manager reports.
type hostedServices struct {
	swarm Services
	host  string
}

func (h hostedServices) Services(ctx context.Context) ([]Container, error) {
	cs, err := h.swarm.Services(ctx)
	for i := range cs {
		cs[i].Host = h.host
	}
	return cs, err
}

func (h hostedServices) UpdateService(ctx context.Context, id, image string, auth Auth) ([]string, error) {
	return h.swarm.UpdateService(ctx, id, image, auth)
}

func (h hostedServices) TaskFailure(ctx context.Context, id, image string) (string, error) {
	return h.swarm.TaskFailure(ctx, id, image)
}

func (h hostedServices) Service(ctx context.Context, idOrName string) (Container, error) {
	c, err := h.swarm.Service(ctx, idOrName)
	if err == nil {
		c.Host = h.host
	}
	return c, err
}

// hostedSink stamps every event with the engine's name.
func (e *Engine) hostedSink(s Sink) Sink {
	s = orDiscard(s)
	if e.opts.Host == "" {
		return s
	}
	return SinkFunc(func(ev Event) {
		ev.Host = e.opts.Host
		s.Emit(ev)
	})
}

// Host is the name of the engine among several, "" when it is the only one.
func (e *Engine) Host() string { return e.opts.Host }

// Container inspects one container by id or name.
func (e *Engine) Container(ctx context.Context, idOrName string) (Container, error) {
	return e.rt.Container(ctx, idOrName)
}

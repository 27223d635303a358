package fleet

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/internal/engine"
)

// Deploy recreates a container on a given image on its engine: the one
// req.Host names, the one ENGINE/NAME in req.Container names, or else the
// one engine that has a container of that name (an AmbiguousError when
// several do).
func (f *Fleet) Deploy(ctx context.Context, req engine.DeployRequest, sink engine.Sink) (engine.Outcome, error) {
	host, name := engine.SplitName(req.Container)
	switch {
	case host != "" && req.Host != "" && host != req.Host:
		return engine.Outcome{}, fmt.Errorf("%w: container %q names engine %s, but host says %s", engine.ErrInvalid, req.Container, host, req.Host)
	case host == "":
		host = req.Host
	}
	var m Member
	switch {
	case len(f.members) == 1:
		m = f.members[0]
		if host != "" && host != m.Name {
			return engine.Outcome{}, &UnknownHostError{Host: host, Hosts: f.Names()}
		}
	case host != "":
		var err error
		if m, err = f.Member(host); err != nil {
			return engine.Outcome{}, err
		}
	default:
		i, err := f.find(ctx, name)
		if err != nil {
			return engine.Outcome{}, err
		}
		m = f.members[i]
	}
	req.Host, req.Container = "", name
	return m.Engine.Deploy(ctx, req, sink)
}

// find asks every engine at once for a container named name.
func (f *Fleet) find(ctx context.Context, name string) (int, error) {
	has := make([]bool, len(f.members))
	down := make([]error, len(f.members))
	f.each(func(i int, m Member) {
		_, err := m.Engine.Container(ctx, name)
		switch {
		case err == nil:
			has[i] = true
		case !engine.IsNotFound(err):
			down[i] = err
		}
	})
	return f.locate(name, has, down, "container")
}

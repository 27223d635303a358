package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// describe turns a registry failure into a short reason a person can act on.
func describe(ctx context.Context, err error) error {
	var terr *transport.Error
	switch {
	case errors.As(err, &terr):
		return fmt.Errorf("registry answered %d %s%s", terr.StatusCode, http.StatusText(terr.StatusCode), diagnostics(terr))
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("registry timed out")
	}
	var nerr *net.OpError
	if errors.As(err, &nerr) {
		return fmt.Errorf("registry unreachable: %v", nerr.Err)
	}
	return fmt.Errorf("registry error: %v", err)
}

func diagnostics(terr *transport.Error) string {
	var msgs []string
	for _, d := range terr.Errors {
		if d.Message != "" {
			msgs = append(msgs, d.Message)
		} else if d.Code != "" {
			msgs = append(msgs, string(d.Code))
		}
	}
	if len(msgs) == 0 {
		return ""
	}
	return ": " + strings.Join(msgs, "; ")
}

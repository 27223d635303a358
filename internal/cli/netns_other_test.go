//go:build !linux

package cli_test

import (
	"errors"
	"net"
)

// listenInNetns needs Linux network namespaces.
func listenInNetns(pid string, addrs []string) ([]net.Listener, error) {
	return nil, errors.New("listening inside a container's network namespace needs Linux")
}

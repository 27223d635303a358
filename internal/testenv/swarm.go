package testenv

import (
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"strconv"
	"testing"
)

// InitSwarm makes the engine the manager of a single-node Swarm, advertised
// on 127.0.0.1, and makes it leave the Swarm when the test ends. Whatever a
// Swarm puts on the host is the engine's own: its gateway bridge is named
// after the engine (not docker_gwbridge, which another Swarm on the host
// would share) and deleted with it, on 10.219.x.0/24, its ports are free
// ones, and its networks come from 10.220.0.0/16, away from the ranges of
// the other engines and tests (10.213-10.218). Tasks of services without
// networks of their own run on the engine's bridge.
//
// The Swarm's gossip port (7946) cannot be chosen: one private Swarm runs
// on a host at a time.
func (e *PrivateEngine) InitSwarm(t testing.TB) {
	t.Helper()
	gateway := "cutgw" + e.id
	e.Docker(t, "network", "create", "--driver", "bridge",
		"--subnet", fmt.Sprintf("10.219.%d.0/24", e.net),
		"--opt", "com.docker.network.bridge.name="+gateway,
		"--opt", "com.docker.network.bridge.enable_icc=false",
		"--opt", "com.docker.network.bridge.enable_ip_masquerade=false",
		"docker_gwbridge")
	e.links = append(e.links, gateway)
	e.Docker(t, "swarm", "init", "--advertise-addr", "127.0.0.1",
		"--listen-addr", "127.0.0.1:"+strconv.Itoa(freePort(t, "tcp")),
		"--data-path-port", strconv.Itoa(freePort(t, "udp")),
		"--default-addr-pool", "10.220.0.0/16")
	t.Cleanup(func() {
		if _, err := e.TryDocker("swarm", "leave", "--force"); err != nil {
			t.Logf("leaving the private engine's Swarm: %v", err)
		}
	})
}

// LoginConfig returns a docker config directory, private to the test,
// holding credentials for AuthRegistry: DOCKER_CONFIG for a program that
// reads Docker's credentials.
func LoginConfig(t testing.TB) string {
	t.Helper()
	return login(t)
}

// freePort returns a port of network ("tcp" or "udp") free right now, in
// the range Swarm accepts (1024-49151) and below the kernel's ephemeral
// ports.
func freePort(t testing.TB, network string) int {
	t.Helper()
	for range 100 {
		port := 20000 + mathrand.IntN(12000)
		addr := ":" + strconv.Itoa(port)
		var c io.Closer
		var err error
		if network == "udp" {
			c, err = net.ListenPacket("udp", addr)
		} else {
			c, err = net.Listen("tcp", addr)
		}
		if err == nil {
			c.Close()
			return port
		}
	}
	t.Fatalf("no free %s port found", network)
	return 0
}

package docker

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Conduits returns the ids of the containers cutover reaches the engine
// through: with DOCKER_HOST=tcp://socket-proxy:2375, the proxy container.
// Stopping one mid-swap would cut the connection the swap, and its
// rollback, need. An engine reached over a unix socket or ssh has none.
func (r *Runtime) Conduits(ctx context.Context) ([]string, error) {
	u, err := url.Parse(r.Host())
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "http" && u.Scheme != "https") {
		return nil, nil
	}
	host := u.Hostname()
	port, _ := strconv.ParseUint(u.Port(), 10, 16)
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a.Unmap()}
	} else if ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host); err == nil {
		for _, a := range ips {
			addrs = append(addrs, a.Unmap())
		}
	}
	list, err := r.cli.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil, err
	}
	return conduitsAmong(list.Items, host, uint16(port), addrs, localAddrs()), nil
}

// conduitsAmong picks from cs the containers a connection to host:port
// (resolved to addrs) reaches: one named host or known by that name on a
// network, one holding one of addrs on a network, or one publishing port on
// an address of this machine (local) that the connection goes to.
func conduitsAmong(cs []container.Summary, host string, port uint16, addrs []netip.Addr, local []netip.Addr) []string {
	toHere := slices.ContainsFunc(addrs, func(a netip.Addr) bool {
		return a.IsLoopback() || slices.Contains(local, a)
	})
	var ids []string
	for _, c := range cs {
		if reaches(c, host, port, addrs, toHere) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

func reaches(c container.Summary, host string, port uint16, addrs []netip.Addr, toHere bool) bool {
	if slices.Contains(c.Names, "/"+host) {
		return true
	}
	if c.NetworkSettings != nil {
		for _, ep := range c.NetworkSettings.Networks {
			if ep == nil {
				continue
			}
			if ep.IPAddress.IsValid() && slices.Contains(addrs, ep.IPAddress.Unmap()) {
				return true
			}
			if host != "" && (slices.Contains(ep.Aliases, host) || slices.Contains(ep.DNSNames, host)) {
				return true
			}
		}
	}
	if !toHere || port == 0 {
		return false
	}
	for _, p := range c.Ports {
		if p.PublicPort != port {
			continue
		}
		if !p.IP.IsValid() || p.IP.IsUnspecified() || slices.Contains(addrs, p.IP.Unmap()) {
			return true
		}
	}
	return false
}

// localAddrs are the addresses of this machine's interfaces: a published
// port is reached through any of them.
func localAddrs() []netip.Addr {
	ifs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range ifs {
		s, _, _ := strings.Cut(a.String(), "/")
		if ip, err := netip.ParseAddr(s); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	return out
}

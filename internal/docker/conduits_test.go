package docker

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestConduitsAmong(t *testing.T) {
	on := func(ip string, aliases ...string) *container.NetworkSettingsSummary {
		return &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{
			"back": {IPAddress: netip.MustParseAddr(ip), Aliases: aliases},
		}}
	}
	publishing := func(ip string, port uint16) []container.PortSummary {
		p := container.PortSummary{PrivatePort: 2375, PublicPort: port, Type: "tcp"}
		if ip != "" {
			p.IP = netip.MustParseAddr(ip)
		}
		return []container.PortSummary{p}
	}
	cs := []container.Summary{
		{ID: "byname", Names: []string{"/socket-proxy"}, NetworkSettings: on("172.20.0.9")},
		{ID: "byip", Names: []string{"/dockerproxy"}, NetworkSettings: on("172.20.0.2")},
		{ID: "byalias", Names: []string{"/stack-proxy-1"}, NetworkSettings: on("172.20.0.3", "proxy")},
		{ID: "loopback", Names: []string{"/published"}, NetworkSettings: on("172.17.0.5"), Ports: publishing("127.0.0.1", 23750)},
		{ID: "anyaddr", Names: []string{"/published-all"}, NetworkSettings: on("172.17.0.6"), Ports: publishing("0.0.0.0", 23751)},
		{ID: "web", Names: []string{"/web"}, NetworkSettings: on("172.20.0.4"), Ports: publishing("", 8080)},
	}
	local := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.168.1.10")}
	tests := []struct {
		name  string
		host  string
		port  uint16
		addrs []string
		want  []string
	}{
		{"a proxy by its container name", "socket-proxy", 2375, []string{"172.20.0.9"}, []string{"byname"}},
		{"a proxy by its address", "172.20.0.2", 2375, []string{"172.20.0.2"}, []string{"byip"}},
		{"a Compose service name", "proxy", 2375, []string{"172.20.0.3"}, []string{"byalias"}},
		{"a name that does not resolve", "proxy", 2375, nil, []string{"byalias"}},
		{"a port published on loopback", "127.0.0.1", 23750, []string{"127.0.0.1"}, []string{"loopback"}},
		{"a port published on every address, reached by the host's", "192.168.1.10", 23751, []string{"192.168.1.10"}, []string{"anyaddr"}},
		{"an engine elsewhere", "10.0.0.5", 2376, []string{"10.0.0.5"}, nil},
		{"a published port on another machine", "10.0.0.5", 8080, []string{"10.0.0.5"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var addrs []netip.Addr
			for _, a := range tc.addrs {
				addrs = append(addrs, netip.MustParseAddr(a))
			}
			got := conduitsAmong(cs, tc.host, tc.port, addrs, local)
			if !slices.Equal(got, tc.want) {
				t.Errorf("conduits of tcp://%s:%d: got %v, want %v", tc.host, tc.port, got, tc.want)
			}
		})
	}
}

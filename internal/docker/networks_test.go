package docker

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestPlanNetworks(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	ip := netip.MustParseAddr("10.0.0.5")
	nets := map[string]*network.EndpointSettings{
		"front": {Aliases: []string{"web", id[:12]}, NetworkID: "f1"},
		"back":  {Aliases: []string{"api", id}, IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: ip}, NetworkID: "b1", EndpointID: "e", IPAddress: ip},
	}
	old := func(mode container.NetworkMode) container.InspectResponse {
		return container.InspectResponse{
			ID:              id,
			HostConfig:      &container.HostConfig{NetworkMode: mode},
			NetworkSettings: &container.NetworkSettings{Networks: nets},
		}
	}
	front := &network.EndpointSettings{Aliases: []string{"web"}}
	back := &network.EndpointSettings{Aliases: []string{"api"}, IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: ip}}
	opts := cmp.Options{cmp.AllowUnexported(networkPlan{}, attachment{}), cmpopts.EquateComparable(netip.Addr{})}

	for _, tc := range []struct {
		name string
		mode container.NetworkMode
		mac  string
		want networkPlan
	}{
		{
			name: "mode's network first",
			mode: "front",
			want: networkPlan{
				create:  &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"front": front}},
				connect: []attachment{{network: "back", endpoint: back}},
			},
		},
		{
			name: "network given by id",
			mode: "b1",
			want: networkPlan{
				create:  &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"back": back}},
				connect: []attachment{{network: "front", endpoint: front}},
			},
		},
		{name: "host", mode: "host"},
		{name: "network container", mode: "container:db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, planNetworks(old(tc.mode), tc.mac, false), opts); diff != "" {
				t.Errorf("planNetworks(%s) (-want +got):\n%s", tc.mode, diff)
			}
		})
	}

	t.Run("mac address", func(t *testing.T) {
		plan := planNetworks(old("front"), "02:42:0a:00:00:09", false)
		if got := plan.create.EndpointsConfig["front"].MacAddress.String(); got != "02:42:0a:00:00:09" {
			t.Errorf("MAC address of the main endpoint = %q, want 02:42:0a:00:00:09", got)
		}
		legacy := planNetworks(old("front"), "02:42:0a:00:00:09", true)
		if got := legacy.create.EndpointsConfig["front"].MacAddress; got != nil {
			t.Errorf("MAC address of the main endpoint before API 1.44 = %q, want none (it goes in Config)", got)
		}
	})

	t.Run("default bridge takes no aliases", func(t *testing.T) {
		in := container.InspectResponse{
			ID:         id,
			HostConfig: &container.HostConfig{NetworkMode: "default"},
			NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{
				"bridge": {Aliases: []string{"x"}},
			}},
		}
		ep := planNetworks(in, "", false).create.EndpointsConfig["bridge"]
		if ep == nil || len(ep.Aliases) != 0 {
			t.Errorf("bridge endpoint = %+v, want one without aliases", ep)
		}
	})
}

package docker

import (
	"net"
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
		mac := func(s string) network.HardwareAddr {
			hw, err := net.ParseMAC(s)
			if err != nil {
				t.Fatal(err)
			}
			return network.HardwareAddr(hw)
		}
		ip5, ip6 := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.6")
		in := func(front, back *network.EndpointSettings) container.InspectResponse {
			return container.InspectResponse{
				ID:         id,
				HostConfig: &container.HostConfig{NetworkMode: "front"},
				NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{
					"front": front, "back": back,
				}},
			}
		}
		for _, tc := range []struct {
			name        string
			front, back *network.EndpointSettings
			user        string
			legacy      bool
			// want* are the MACs of the endpoints and of Config, "" for none.
			wantFront, wantBack, wantConfig string
		}{
			{
				name:      "each endpoint keeps its own",
				front:     &network.EndpointSettings{MacAddress: mac("9a:12:4a:b9:ad:a0"), IPAddress: ip5},
				back:      &network.EndpointSettings{MacAddress: mac("f2:f8:bc:2d:49:75"), IPAddress: ip6},
				wantFront: "9a:12:4a:b9:ad:a0", wantBack: "f2:f8:bc:2d:49:75",
			},
			{
				name:     "derived from the IP address: left to the engine",
				front:    &network.EndpointSettings{MacAddress: mac("02:42:0a:00:00:05"), IPAddress: ip5},
				back:     &network.EndpointSettings{MacAddress: mac("02:42:0a:00:00:06"), IPAddress: ip6},
				wantBack: "",
			},
			{
				name:      "02:42 not matching the address is the user's",
				front:     &network.EndpointSettings{MacAddress: mac("02:42:0a:00:00:99"), IPAddress: ip5},
				back:      &network.EndpointSettings{},
				wantFront: "02:42:0a:00:00:99",
			},
			{
				name:      "stopped: the user's from Config",
				front:     &network.EndpointSettings{},
				back:      &network.EndpointSettings{},
				user:      "02:42:0a:00:00:09",
				wantFront: "02:42:0a:00:00:09",
			},
			{
				name:       "before API 1.44: the main network's, in Config",
				front:      &network.EndpointSettings{MacAddress: mac("02:42:0a:00:00:99"), IPAddress: ip5},
				back:       &network.EndpointSettings{MacAddress: mac("f2:f8:bc:2d:49:75"), IPAddress: ip6},
				legacy:     true,
				wantConfig: "02:42:0a:00:00:99",
			},
			{
				name:       "before API 1.44, stopped: the user's, in Config",
				front:      &network.EndpointSettings{},
				back:       &network.EndpointSettings{},
				user:       "02:42:0a:00:00:09",
				legacy:     true,
				wantConfig: "02:42:0a:00:00:09",
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				plan := planNetworks(in(tc.front, tc.back), tc.user, tc.legacy)
				if len(plan.connect) != 1 {
					t.Fatalf("connects = %+v, want one, to back", plan.connect)
				}
				got := []string{plan.create.EndpointsConfig["front"].MacAddress.String(), plan.connect[0].endpoint.MacAddress.String(), plan.configMAC}
				if want := []string{tc.wantFront, tc.wantBack, tc.wantConfig}; !cmp.Equal(got, want) {
					t.Errorf("MACs of front, back and Config = %q, want %q", got, want)
				}
			})
		}
	})

	t.Run("no endpoint yet, a MAC the user set", func(t *testing.T) {
		in := container.InspectResponse{ID: id, HostConfig: &container.HostConfig{NetworkMode: "default"}}
		in.NetworkSettings = &container.NetworkSettings{}
		plan := planNetworks(in, "02:42:0a:00:00:09", false)
		if ep := plan.create.EndpointsConfig["bridge"]; ep == nil || ep.MacAddress.String() != "02:42:0a:00:00:09" {
			t.Errorf("plan = %+v, want the bridge endpoint with the MAC", plan.create)
		}
		if legacy := planNetworks(in, "02:42:0a:00:00:09", true); legacy.create != nil || legacy.configMAC != "02:42:0a:00:00:09" {
			t.Errorf("plan before API 1.44 = %+v, want the MAC in Config alone", legacy)
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

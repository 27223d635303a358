package docker

import (
	"bytes"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// networkPlan is how the replacement joins old's networks: one network at
// create, since engines before API 1.44 refuse more, the others connected
// after create and before start.
type networkPlan struct {
	create  *network.NetworkingConfig
	connect []attachment
	// configMAC is the MAC address of the main network for Config, where
	// engines before API 1.44 take it; "" for none.
	configMAC string
}

// attachment is one network to connect, by name, with its endpoint settings.
type attachment struct {
	network  string
	endpoint *network.EndpointSettings
}

// planNetworks carries over old's endpoints with the settings the user gave
// them: static addresses, aliases, links, driver options, and MAC addresses
// (see carriedMAC). userMAC is the one the engine reports the user set for
// the container ("" for none), used when the main endpoint shows none, as a
// stopped container's does on engines before API 1.44. With legacyMAC the
// engine takes a MAC only container-wide, for the main network, so only that
// one is carried, in configMAC. Containers on the host's, none or another
// container's network join nothing themselves.
func planNetworks(old container.InspectResponse, userMAC string, legacyMAC bool) networkPlan {
	mode := old.HostConfig.NetworkMode
	if mode.IsHost() || mode.IsNone() || mode.IsContainer() || old.NetworkSettings == nil {
		return networkPlan{}
	}
	nets := old.NetworkSettings.Networks
	names := slices.Sorted(maps.Keys(nets))
	user, _ := net.ParseMAC(userMAC)
	primary := primaryNetwork(mode, nets, names)
	if primary == "" {
		switch {
		case user == nil:
			return networkPlan{}
		case legacyMAC:
			return networkPlan{configMAC: user.String()}
		}
		primary = modeNetwork(mode)
	}
	var plan networkPlan
	mac := func(name string) network.HardwareAddr {
		m := carriedMAC(nets[name])
		if m == nil && name == primary && user != nil {
			m = network.HardwareAddr(user)
		}
		return m
	}
	ep := endpointFor(primary, nets[primary], old.ID)
	if legacyMAC {
		if m := mac(primary); m != nil {
			plan.configMAC = m.String()
		}
	} else {
		ep.MacAddress = mac(primary)
	}
	plan.create = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{primary: ep}}
	for _, name := range names {
		if name == primary {
			continue
		}
		ep := endpointFor(name, nets[name], old.ID)
		if !legacyMAC {
			ep.MacAddress = mac(name)
		}
		plan.connect = append(plan.connect, attachment{network: name, endpoint: ep})
	}
	return plan
}

// carriedMAC returns the MAC address an endpoint of the old container has,
// for the new one to keep, or nil. The old container is stopped before the
// new one starts, so the address is free by then. An address the engine
// derived from the endpoint's IPv4 address (02:42 and the address's four
// bytes, as engines before API 1.44 do on every network and current ones on
// overlay networks) is not kept: it belongs to the IP address, which the next
// container given it would have too.
func carriedMAC(ep *network.EndpointSettings) network.HardwareAddr {
	if ep == nil || len(ep.MacAddress) != 6 {
		return nil
	}
	m := ep.MacAddress
	if ip := ep.IPAddress; ip.Is4() {
		a := ip.As4()
		if m[0] == 0x02 && m[1] == 0x42 && bytes.Equal(m[2:], a[:]) {
			return nil
		}
	}
	return slices.Clone(m)
}

// primaryNetwork returns the endpoint, by name, of the network mode names,
// or else the first; "" when there is none.
func primaryNetwork(mode container.NetworkMode, nets map[string]*network.EndpointSettings, names []string) string {
	want := modeNetwork(mode)
	for _, name := range names {
		if name == want {
			return name
		}
	}
	// A network given by id at create is listed under its name.
	for _, name := range names {
		if ep := nets[name]; ep != nil && ep.NetworkID != "" && strings.HasPrefix(ep.NetworkID, want) {
			return name
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// modeNetwork returns the network a network mode names.
func modeNetwork(mode container.NetworkMode) string {
	if mode == "" || mode.IsDefault() {
		return network.NetworkBridge
	}
	return string(mode)
}

// endpointFor returns the settings to join network name with, from old's
// endpoint there. The engine adds the container's short id as an alias on
// user-defined networks; that id is old's, so it goes, and the default
// bridge takes no aliases at all.
func endpointFor(name string, old *network.EndpointSettings, oldID string) *network.EndpointSettings {
	ep := &network.EndpointSettings{}
	if old == nil {
		return ep
	}
	ep.IPAMConfig = old.IPAMConfig.Copy()
	ep.Links = slices.Clone(old.Links)
	ep.DriverOpts = maps.Clone(old.DriverOpts)
	ep.GwPriority = old.GwPriority
	if name != network.NetworkBridge {
		for _, a := range old.Aliases {
			if a == oldID || (len(oldID) >= 12 && a == oldID[:12]) {
				continue
			}
			ep.Aliases = append(ep.Aliases, a)
		}
	}
	return ep
}

package docker

import (
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
}

// attachment is one network to connect, by name, with its endpoint settings.
type attachment struct {
	network  string
	endpoint *network.EndpointSettings
}

// planNetworks carries over old's endpoints with the settings the user gave
// them: static addresses, aliases, links, driver options. mac is the MAC
// address the user set on the main network ("" for none); it goes into the
// endpoint unless legacyMAC says the engine takes it in Config only.
// Containers on the host's, none or another container's network join
// nothing themselves.
func planNetworks(old container.InspectResponse, mac string, legacyMAC bool) networkPlan {
	mode := old.HostConfig.NetworkMode
	if mode.IsHost() || mode.IsNone() || mode.IsContainer() || old.NetworkSettings == nil {
		return networkPlan{}
	}
	nets := old.NetworkSettings.Networks
	names := slices.Sorted(maps.Keys(nets))
	primary := primaryNetwork(mode, nets, names)
	if primary == "" {
		if mac == "" || legacyMAC {
			return networkPlan{}
		}
		primary = modeNetwork(mode)
	}
	var plan networkPlan
	ep := endpointFor(primary, nets[primary], old.ID)
	if mac != "" && !legacyMAC {
		if hw, err := net.ParseMAC(mac); err == nil {
			ep.MacAddress = network.HardwareAddr(hw)
		}
	}
	plan.create = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{primary: ep}}
	for _, name := range names {
		if name != primary {
			plan.connect = append(plan.connect, attachment{network: name, endpoint: endpointFor(name, nets[name], old.ID)})
		}
	}
	return plan
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

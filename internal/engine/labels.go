package engine

import (
	"strconv"
	"strings"
)

// Label prefixes cutover reads. Watchtower's are honoured so existing compose
// files keep working; cutover's own win when both are set.
const (
	LabelPrefix           = "cutover."
	WatchtowerLabelPrefix = "com.centurylinklabs.watchtower."
)

// Label returns the value of a cutover label key ("enable", "stop-signal", ...)
// under either prefix, and whether it was set.
func Label(c Container, key string) (string, bool) {
	if v, ok := c.Labels[LabelPrefix+key]; ok {
		return v, true
	}
	v, ok := c.Labels[WatchtowerLabelPrefix+key]
	return v, ok
}

// LabelBool reads a boolean label; a value that does not parse counts as unset.
func LabelBool(c Container, key string) (value, set bool) {
	v, ok := Label(c, key)
	if !ok {
		return false, false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, false
	}
	return b, true
}

// Excluded reports whether the user opted the container out of updates.
func Excluded(c Container) bool {
	v, set := LabelBool(c, "enable")
	return set && !v
}

// composeDependencies returns the compose services a container depends on,
// from the depends_on label Compose writes ("db:service_started:false,cache").
func composeDependencies(c Container) []string {
	var out []string
	for _, d := range composeDependsOn(c) {
		out = append(out, d.service)
	}
	return out
}

// composeRestarts returns the compose services whose update restarts the
// container: those its depends_on marks "restart: true", the third field of
// the label ("db:service_healthy:true").
func composeRestarts(c Container) []string {
	var out []string
	for _, d := range composeDependsOn(c) {
		if d.restart {
			out = append(out, d.service)
		}
	}
	return out
}

// composeDependency is one entry of Compose's depends_on label.
type composeDependency struct {
	service string
	restart bool
}

func composeDependsOn(c Container) []composeDependency {
	raw := c.Labels[composeDependsOnLabel]
	if raw == "" {
		return nil
	}
	var out []composeDependency
	for _, part := range strings.Split(raw, ",") {
		fields := strings.Split(strings.TrimSpace(part), ":")
		if fields[0] == "" {
			continue
		}
		d := composeDependency{service: fields[0]}
		if len(fields) >= 3 {
			d.restart, _ = strconv.ParseBool(fields[2])
		}
		out = append(out, d)
	}
	return out
}

// labelDependencies returns the container names in the depends-on label.
func labelDependencies(c Container) []string {
	raw, _ := Label(c, "depends-on")
	var out []string
	for _, n := range strings.Split(raw, ",") {
		if n = strings.TrimPrefix(strings.TrimSpace(n), "/"); n != "" {
			out = append(out, n)
		}
	}
	return out
}

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
	raw := c.Labels["com.docker.compose.depends_on"]
	if raw == "" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(raw, ",") {
		svc, _, _ := strings.Cut(strings.TrimSpace(part), ":")
		if svc != "" {
			out = append(out, svc)
		}
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

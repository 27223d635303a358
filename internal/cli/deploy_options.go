package cli

import (
	"github.com/spf13/pflag"

	"github.com/cutover/cutover/internal/daemon"
)

// deployOptions are the deploy webhook's flags.
type deployOptions struct {
	allow []string
}

func (o *deployOptions) addFlags(f *pflag.FlagSet) {
	f.StringSliceVar(&o.allow, "deploy-allow", nil,
		"repositories POST /update may deploy from, as patterns (repeatable, or comma separated): registry.example.com/team/* "+
			"(* within one path component, ** across them); default: any")
}

// admission builds what POST /update may do from the serve options: the
// allow list, and the watch settings that leave containers alone.
func (o *deployOptions) admission(s *serveOptions, filter daemon.Filter) (daemon.Admission, error) {
	allow, err := daemon.ParseAllowList(o.allow)
	if err != nil {
		return daemon.Admission{}, err
	}
	return daemon.Admission{Filter: filter, MonitorOnly: s.monitorOnly, LabelTakePrecedence: s.labelTakePrecedence, Allow: allow}, nil
}

package cli

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/policy"
)

// policyOptions are the version policy and the cooldown of the containers
// that set none by label; check, update and serve take them, so that each
// says what the others would do.
type policyOptions struct {
	policy   string
	cooldown cooldownFlag
}

func (o *policyOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.policy, "policy", string(policy.Digest), "version policy of containers without a cutover.policy label: digest (newer digest of the same tag), patch, minor or major (newer tags within that range)")
	f.Var(&o.cooldown, "cooldown-delay", "how old a new version must be before it is applied, unless forced: 72h, 3d, 1w (0: no cooldown); the cutover.cooldown label overrides it per container")
}

// apply validates the flags and sets them on the engine's options.
func (o *policyOptions) apply(eo *engine.Options) error {
	p, err := policy.Parse(o.policy)
	if err != nil {
		return fmt.Errorf("--policy: %w", err)
	}
	eo.Policy = p
	eo.CooldownDelay = time.Duration(o.cooldown)
	return nil
}

// cooldownFlag is a duration flag that also takes days, weeks and months,
// as the active Watchtower fork's --cooldown-delay does.
type cooldownFlag time.Duration

func (c *cooldownFlag) Set(s string) error {
	d, err := engine.ParseCooldown(s)
	if err != nil {
		return err
	}
	*c = cooldownFlag(d)
	return nil
}

func (c *cooldownFlag) String() string { return time.Duration(*c).String() }

func (c *cooldownFlag) Type() string { return "duration" }

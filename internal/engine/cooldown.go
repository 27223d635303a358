package engine

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxCooldown is the longest cooldown accepted. First sightings are kept
// somewhat longer than this, so a sighting is never forgotten while it
// still matters.
const MaxCooldown = 366 * 24 * time.Hour

// cooldownUnits are the units of a cooldown: Go's, and the days, weeks and
// months (30 days) the active Watchtower fork accepts.
var cooldownUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond, "ms": time.Millisecond,
	"s": time.Second, "m": time.Minute, "h": time.Hour,
	"d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "M": 30 * 24 * time.Hour,
}

// ParseCooldown reads a cooldown as the --cooldown-delay flag and the
// cooldown labels give it: "0", or numbers with units, "90s", "24h",
// "3d12h", "1w", "1M" (30 days). Months are M and minutes m. It is at most
// MaxCooldown.
func ParseCooldown(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "0" {
		return 0, nil
	}
	bad := func(why string) (time.Duration, error) {
		return 0, fmt.Errorf("cooldown %q: %s; want a duration such as 72h, 3d, 1w or 0", s, why)
	}
	if in == "" {
		return bad("empty")
	}
	var total float64
	for rest := in; rest != ""; {
		n := 0
		for n < len(rest) && (rest[n] >= '0' && rest[n] <= '9' || rest[n] == '.') {
			n++
		}
		if n == 0 {
			return bad("a number must come before each unit")
		}
		v, err := strconv.ParseFloat(rest[:n], 64)
		if err != nil {
			return bad("bad number " + strconv.Quote(rest[:n]))
		}
		rest = rest[n:]
		u := 0
		for u < len(rest) && !(rest[u] >= '0' && rest[u] <= '9' || rest[u] == '.') {
			u++
		}
		unit, ok := cooldownUnits[rest[:u]]
		if !ok {
			if u == 0 {
				return bad("a unit must follow each number (s, m, h, d, w or M)")
			}
			return bad("unknown unit " + strconv.Quote(rest[:u]))
		}
		rest = rest[u:]
		total += v * float64(unit)
		if total > float64(MaxCooldown) {
			return bad("longer than " + strconv.Itoa(int(MaxCooldown/(24*time.Hour))) + " days")
		}
	}
	return time.Duration(math.Round(total)), nil
}

// cooldownOf is the cooldown that applies to c: its label (cutover.cooldown,
// or the Watchtower fork's cooldown-delay label), else def. A label that
// does not parse is an error, never read as no cooldown.
func cooldownOf(c Container, def time.Duration) (time.Duration, error) {
	for _, key := range []string{"cooldown", "cooldown-delay"} {
		if v, ok := Label(c, key); ok {
			d, err := ParseCooldown(v)
			if err != nil {
				return 0, fmt.Errorf("label %s: %w", key, err)
			}
			return d, nil
		}
	}
	return def, nil
}

// Sightings remembers when cutover first saw each offered version, so that
// a cooldown counts from then even for an image built long before it was
// pushed. Optional: without it a cooldown counts from the image's build
// time alone.
type Sightings interface {
	// Sighted returns when each key was first seen, recording now as the
	// first sighting of the keys never seen before.
	Sighted(ctx context.Context, keys []string, now time.Time) (map[string]time.Time, error)
}

// sightingKey names an offered version for Sightings: its repository and
// digest, whichever container it is offered to.
func sightingKey(o *Offer) string { return o.Ref.Repository + "@" + o.Digest }

// coolDown sets, on each offer whose container has a cooldown, when that
// cooldown ends, if that is after now: delay after the later of the
// image's build time and its first sighting. A build time in the future
// counts as now; without either time the cooldown starts now.
func (e *Engine) coolDown(ctx context.Context, statuses []*ContainerStatus, delays []time.Duration, now time.Time) {
	seen := e.sightings(ctx, statuses, now)
	for i, cs := range statuses {
		o := cs.Offer
		if o == nil || delays[i] <= 0 {
			continue
		}
		start := now
		if first, ok := seen[sightingKey(o)]; ok {
			start = first
			if !o.Created.IsZero() {
				start = later(start, earlier(o.Created, now))
			}
		} else if !o.Created.IsZero() {
			start = earlier(o.Created, now)
		}
		if until := start.Add(delays[i]); until.After(now) {
			o.CooldownUntil = until
		}
	}
}

// sightings records the offers of this check and returns their first
// sightings; a store that fails is read as knowing none, and said so.
func (e *Engine) sightings(ctx context.Context, statuses []*ContainerStatus, now time.Time) map[string]time.Time {
	if e.opts.Sightings == nil {
		return nil
	}
	var keys []string
	for _, cs := range statuses {
		if cs.Offer != nil {
			keys = append(keys, sightingKey(cs.Offer))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	seen, err := e.opts.Sightings.Sighted(ctx, keys, now)
	if err != nil {
		e.log.Warn("cannot read or record when offered versions were first seen; cooldowns count from build times", "err", err)
		return nil
	}
	return seen
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

package bench

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Targets of the performance issue.
const (
	targetCheckWall  = time.Second      // check of N=100 over 25 images
	targetUpdateWall = 40 * time.Second // update of N=100
	targetDowntime   = 1.2              // max downtime / floor, every N
	targetIdleRSS    = 25 << 20         // idle serve
	targetPeakRSS    = 40 << 20         // update at N=100
	targetAPIP99     = 5 * time.Millisecond
	targetN          = 100 // the size the absolute targets are stated for
	targetAPIN       = 500
	registries       = 1 // the bench's images all come from one registry
)

// gapStats returns the largest and the median of the containers' longest
// gaps, and how many containers did not answer again.
func gapStats(gaps []Gap) (maxGap, median time.Duration, lost, moved int) {
	if len(gaps) == 0 {
		return 0, 0, 0, 0
	}
	ds := make([]time.Duration, len(gaps))
	for i, g := range gaps {
		ds[i] = g.Max
		if !g.Back {
			lost++
		}
		if g.Moved {
			moved++
		}
	}
	slices.Sort(ds)
	return ds[len(ds)-1], percentile(ds, 50), lost, moved
}

// phaseMedians is the median of each phase over the containers where the
// engine reported it.
func phaseMedians(gaps []Gap) Phases {
	med := func(get func(Phases) time.Duration) time.Duration {
		var ds []time.Duration
		for _, g := range gaps {
			if d := get(g.Phases); d > 0 {
				ds = append(ds, d)
			}
		}
		slices.Sort(ds)
		return percentile(ds, 50)
	}
	return Phases{
		Prepared:  med(func(p Phases) time.Duration { return p.Prepared }),
		Stopping:  med(func(p Phases) time.Duration { return p.Stopping }),
		Starting:  med(func(p Phases) time.Duration { return p.Starting }),
		Answering: med(func(p Phases) time.Duration { return p.Answering }),
		Gated:     med(func(p Phases) time.Duration { return p.Gated }),
	}
}

// ratio divides the update's largest and median downtimes by a floor's.
func ratio(update, floor []Gap) (maxRatio, medianRatio float64) {
	um, umed, _, _ := gapStats(update)
	fm, fmed, _, _ := gapStats(floor)
	if fm > 0 {
		maxRatio = float64(um) / float64(fm)
	}
	if fmed > 0 {
		medianRatio = float64(umed) / float64(fmed)
	}
	return maxRatio, medianRatio
}

// DowntimeRatio is the update's largest downtime over the floor's, and the
// same for the medians, against whichever of the floors before and after
// the update is lower: the stricter comparison.
func (r SizeResult) DowntimeRatio() (maxRatio, medianRatio float64) {
	bm, bmed := ratio(r.Update, r.Before.Gaps)
	am, amed := ratio(r.Update, r.After.Gaps)
	return max(bm, am), max(bmed, amed)
}

// allowedRequests is the bound for one check that finds nothing
// new: one request per distinct image plus one token fetch per registry.
func (r SizeResult) allowedRequests() int { return r.Images + registries }

// allowedOutdatedRequests is the bound for the check that finds a new
// version of every image: its manifest and configuration are read too,
// for the version, build time and release notes an offer carries.
func (r SizeResult) allowedOutdatedRequests() int { return 3*r.Images + registries }

// Markdown renders the size's table.
func (r SizeResult) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### N = %d (%d images, %d containers with a HEALTHCHECK)\n\n", r.N, r.Images, r.Healthchecked)
	b.WriteString("| Measure | Result | Target | Met |\n| --- | --- | --- | --- |\n")
	row := func(measure, result, target, met string) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", measure, result, target, met)
	}
	atN := func(ok bool) string {
		if r.N != targetN {
			return "—"
		}
		return yesNo(ok)
	}

	row("check: wall time", secs(r.CheckWall), fmt.Sprintf("< %s at N=%d", secs(targetCheckWall), targetN), atN(r.CheckWall < targetCheckWall))
	reqs := r.CheckTraffic.Total(clientCutover)
	row("check: registry requests", trafficDetail(r.CheckTraffic, clientCutover),
		fmt.Sprintf("≤ %d (a digest, manifest and configuration per image + 1 token fetch)", r.allowedOutdatedRequests()), yesNo(reqs <= r.allowedOutdatedRequests()))
	row("check: requests per distinct image", fmt.Sprintf("%.2f", float64(reqs)/float64(r.Images)), "", "")
	row("check: statuses", statusList(r.CheckStatuses), fmt.Sprintf("%d outdated", r.N), yesNo(r.CheckStatuses["outdated"] == r.N))

	updated := fmt.Sprintf("%d of %d answer v2", r.OnNewVersion, r.N)
	if r.UpdateErr != nil {
		updated += "; failed: " + cell(r.UpdateErr.Error())
	}
	row("update of all N: wall time", secs(r.UpdateWall), fmt.Sprintf("< %s at N=%d", secs(targetUpdateWall), targetN), atN(r.UpdateWall < targetUpdateWall))
	row("update: result", updated, fmt.Sprintf("%d of %d", r.N, r.N), yesNo(r.OnNewVersion == r.N && r.UpdateErr == nil))
	row("update: engine pulls (manifest GETs) / blob GETs", fmt.Sprintf("%d / %d", r.UpdateTraffic.Pulls(), r.UpdateTraffic.Kind(clientEngine, kindBlob)), "", "")

	um, umed, ulost, umoved := gapStats(r.Update)
	row("downtime per container during the update: max / median", gapText(um, umed, ulost, r.N), "", "")
	floorRow := func(label string, fl Floor) {
		m, med, lost, _ := gapStats(fl.Gaps)
		row(fmt.Sprintf("%s, `docker restart` %s: max / median", label, atATime(fl.Parallel, len(fl.Gaps), r.N)),
			gapText(m, med, lost, len(fl.Gaps))+fmt.Sprintf(" (all in %s)", secs(fl.Wall)), "", "")
	}
	floorRow("floor before the update", r.Before)
	floorRow("floor after the update", r.After)
	bm, bmed := ratio(r.Update, r.Before.Gaps)
	am, amed := ratio(r.Update, r.After.Gaps)
	maxRatio, _ := r.DowntimeRatio()
	row("downtime ÷ floor before / after: max; median", fmt.Sprintf("%.2f / %.2f; %.2f / %.2f", bm, am, bmed, amed),
		fmt.Sprintf("max ≤ %.1f", targetDowntime), yesNo(maxRatio > 0 && maxRatio <= targetDowntime && ulost == 0))
	floorRow("without contention", r.Single)
	sm, smed := ratio(r.Update, r.Single.Gaps)
	row("downtime ÷ restart without contention: max; median", fmt.Sprintf("%.2f; %.2f", sm, smed), "", "")

	up := phaseMedians(r.Update)
	row("update, median per swap: prepared before the stop / stopping / stopped → started / started → answering / health gate",
		fmt.Sprintf("%s / %s / %s / %s / %s", secs(up.Prepared), secs(up.Stopping), secs(up.Starting), secs(up.Answering), secs(up.Gated)), "", "")
	for _, f := range []struct {
		label string
		fl    Floor
	}{{"floor before", r.Before}, {"floor after", r.After}, {"without contention", r.Single}} {
		p := phaseMedians(f.fl.Gaps)
		row(f.label+", median per restart: stopping / stopped → started / started → answering",
			fmt.Sprintf("%s / %s / %s", secs(p.Stopping), secs(p.Starting), secs(p.Answering)), "", "")
	}
	_, _, _, fmoved := gapStats(r.Before.Gaps)
	row("host port changed: update / restart", fmt.Sprintf("%d / %d of %d", umoved, fmoved, r.N), "", "")
	qm, qmed, _, _ := gapStats(r.Quiet)
	row(fmt.Sprintf("prober noise: longest gap of %d containers polled fast, nothing happening: max / median", len(r.Quiet)), fmt.Sprintf("%s / %s", ms(qm), ms(qmed)), "", "")
	row("bench's own CPU during the update (mostly the prober)", fmt.Sprintf("%.2f cores", r.ProberCPU), "", "")

	rereqs := r.RecheckTraffic.Total(clientCutover)
	row("check again, nothing changed: requests", trafficDetail(r.RecheckTraffic, clientCutover), fmt.Sprintf("≤ %d", r.allowedRequests()), yesNo(rereqs <= r.allowedRequests()))
	again := fmt.Sprintf("%d (in %s)", r.ReupdateTraffic.Total(clientEngine), secs(r.ReupdateWall))
	if r.ReupdateErr != nil {
		again += "; failed: " + cell(r.ReupdateErr.Error())
	}
	row("update again, nothing changed: pulls", again, "0", yesNo(r.ReupdateTraffic.Total(clientEngine) == 0))
	r.Versions.rows(row)

	row("peak RSS of `cutover update`", mib(r.UpdatePeakRSS)+" ("+split(r.UpdateSampledRSS)+" at the sampled peak)",
		fmt.Sprintf("< %s at N=%d", mib(targetPeakRSS), targetN), atN(r.UpdatePeakRSS < targetPeakRSS))
	row("idle RSS of `cutover serve` after a pass", mib(r.ServeIdleRSS.RSS)+" ("+split(r.ServeIdleRSS)+")", "< "+mib(targetIdleRSS), yesNo(r.ServeIdleRSS.RSS < targetIdleRSS))
	fmt.Fprintf(&b, "\nSet-up (push, pull, %d containers) took %s.\n", r.N, secs(r.Setup))
	return b.String()
}

// split shows how much of a resident set is the process's own memory and
// how much is mapped files, mostly its binary.
func split(s RSSSample) string {
	return fmt.Sprintf("%s anonymous + %s files", mib(s.Anon), mib(s.File))
}

func apiMarkdown(rs []APIResult, o Options) string {
	var b strings.Builder
	b.WriteString("### GET /api/images\n\n")
	b.WriteString("| Containers | Clients | p50 | p99 | max | requests/s | errors | answer | idle RSS of serve |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rs {
		if r.Note != "" {
			fmt.Fprintf(&b, "| %d | — | %s | | | | | | |\n", r.Containers, r.Note)
			continue
		}
		for _, l := range []struct {
			mode string
			lat  Latency
		}{
			{fmt.Sprintf("%d, back-to-back", o.APIClients), r.Closed},
			{fmt.Sprintf("%d, one request per %s each", o.APIClients, o.APIPace), r.Paced},
			{"1, back-to-back (no queueing)", r.Single},
		} {
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %.0f | %d | %.0f KiB | %s |\n", r.Containers, l.mode,
				ms(l.lat.P50), ms(l.lat.P99), ms(l.lat.Max), l.lat.PerSec, l.lat.Errors, float64(l.lat.Bytes)/1024, mib(r.IdleRSS.RSS))
		}
	}
	for _, r := range rs {
		if r.Containers == targetAPIN && r.Note == "" {
			fmt.Fprintf(&b, "\nTarget p99 < %s at %d containers: back-to-back %s (%s), paced %s (%s).\n", ms(targetAPIP99), targetAPIN,
				ms(r.Closed.P99), yesNo(r.Closed.P99 < targetAPIP99), ms(r.Paced.P99), yesNo(r.Paced.P99 < targetAPIP99))
		}
	}
	return b.String()
}

// summaryMarkdown shows the downtime target across sizes, the one that must
// hold for every N.
func summaryMarkdown(rs []SizeResult) string {
	if len(rs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("### Across sizes\n\n| N | check | requests / image | update | downtime max (floor before, after) | ratio | peak RSS | idle RSS |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rs {
		um, _, _, _ := gapStats(r.Update)
		bm, _, _, _ := gapStats(r.Before.Gaps)
		am, _, _, _ := gapStats(r.After.Gaps)
		ratio, _ := r.DowntimeRatio()
		fmt.Fprintf(&b, "| %d | %s | %.2f | %s | %s (%s, %s) | %.2f | %s | %s |\n", r.N, secs(r.CheckWall),
			float64(r.CheckTraffic.Total(clientCutover))/float64(r.Images), secs(r.UpdateWall), secs(um), secs(bm), secs(am), ratio,
			mib(r.UpdatePeakRSS), mib(r.ServeIdleRSS.RSS))
	}
	return b.String()
}

func trafficDetail(t Traffic, client string) string {
	total := t.Total(client)
	var parts []string
	for _, k := range []string{kindPing, kindToken, kindManifestHd, kindManifestGet, kindBlob, kindOther} {
		if n := t.Kind(client, k); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	s := fmt.Sprintf("%d", total)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if t.TLSAttempts > 0 {
		s += fmt.Sprintf(" + %d refused HTTPS attempts", t.TLSAttempts)
	}
	return s
}

func statusList(counts map[string]int) string {
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return strings.Join(parts, ", ")
}

// atATime says how a floor restarted its containers.
func atATime(parallel, n, all int) string {
	s := fmt.Sprintf("%d at a time", parallel)
	if parallel == 1 {
		s = "one at a time"
	}
	if n < all {
		s = fmt.Sprintf("of %d containers, ", n) + s
	}
	return s
}

func gapText(maxGap, median time.Duration, lost, n int) string {
	s := fmt.Sprintf("%s / %s", secs(maxGap), secs(median))
	if lost > 0 {
		s += fmt.Sprintf(" (%d of %d did not answer again)", lost, n)
	}
	return s
}

// cell makes text safe in a table cell.
func cell(s string) string {
	return strings.NewReplacer("|", "/", "\n", " ").Replace(s)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func secs(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

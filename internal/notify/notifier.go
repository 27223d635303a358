package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"text/template"
	"time"

	"github.com/nicholas-fedor/shoutrrr"
	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// DefaultTemplate renders a report in a few lines.
const DefaultTemplate = `{{- with .Report -}}
{{len .Scanned}} scanned, {{len .Updated}} updated, {{len .Failed}} failed
{{- range .Updated}}
- {{.Name}} ({{.ImageName}}): {{.CurrentImageID.ShortID}} updated to {{.LatestImageID.ShortID}}
{{- end}}
{{- range .Failed}}
- {{.Name}} ({{.ImageName}}): failed: {{.Error}}
{{- end}}
{{- range .Stale}}
- {{.Name}} ({{.ImageName}}): a new image is available
{{- end}}
{{- end}}`

// entriesTemplate lists what happened when reports are turned off.
const entriesTemplate = `{{range .Entries}}{{.Message}}
{{end}}`

// Memory remembers which findings were notified, so a stale container left
// alone is notified once per new digest, not at every pass.
type Memory interface {
	Notified(container, digest string) bool
	MarkNotified(container, digest string) error
}

// Notifier sends pass reports. It implements daemon.Observer.
type Notifier struct {
	sender *router.ServiceRouter
	tmpl   *template.Template
	memory Memory
	host   string
	log    *slog.Logger
}

// Options configure a Notifier.
type Options struct {
	URLs []string
	// Template is a Go text/template over Data; empty takes the default.
	Template string
	// Report renders the report; false lists the entries instead.
	Report bool
	Host   string
}

// New validates the URLs and the template; an error names the bad one.
func New(opts Options, memory Memory, log *slog.Logger) (*Notifier, error) {
	var urls []string
	for _, u := range opts.URLs {
		urls = append(urls, strings.Fields(u)...)
	}
	sender, err := shoutrrr.CreateSender(urls...)
	if err != nil {
		return nil, fmt.Errorf("notification URL: %w", err)
	}
	text := opts.Template
	if text == "" {
		text = entriesTemplate
		if opts.Report {
			text = DefaultTemplate
		}
	}
	tmpl, err := template.New("notification").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("notification template: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{sender: sender, tmpl: tmpl, memory: memory, host: opts.Host, log: log}, nil
}

// PassFinished sends a report when the pass updated or failed something, or
// found a stale container not notified before. Failures are logged only.
func (n *Notifier) PassFinished(ctx context.Context, r daemon.Report, checked engine.Report) {
	findings := n.newFindings(r, checked)
	if r.Updated == 0 && r.Failed == 0 && len(findings) == 0 {
		return
	}
	var buf bytes.Buffer
	if err := n.tmpl.Execute(&buf, buildData(r, checked, findings, n.host)); err != nil {
		n.log.Warn("notification template failed", "err", err)
		return
	}
	msg := strings.TrimSpace(buf.String())
	if msg == "" {
		return
	}
	done := make(chan []error, 1)
	go func() { done <- n.sender.Send(msg, &types.Params{"title": "cutover on " + n.host}) }()
	select {
	case errs := <-done:
		for _, err := range errs {
			if err != nil {
				n.log.Warn("notification not sent", "err", err)
				return
			}
		}
	case <-time.After(30 * time.Second):
		n.log.Warn("notification not sent: timed out")
		return
	case <-ctx.Done():
		return
	}
	for _, c := range findings {
		if err := n.memory.MarkNotified(c.Container.Name, remoteOf(checked, c)); err != nil {
			n.log.Warn("cannot remember notification", "container", c.Container.Name, "err", err)
		}
	}
}

// newFindings are the stale containers the pass did not update whose remote
// digest was not notified yet.
func (n *Notifier) newFindings(r daemon.Report, checked engine.Report) []engine.ContainerStatus {
	touched := map[string]bool{}
	for _, o := range r.Outcomes {
		if o.Result == engine.ResultUpdated || o.Result == engine.ResultFailed || o.Result == engine.ResultRolledBack {
			touched[o.Container] = true
		}
	}
	var out []engine.ContainerStatus
	for _, c := range r.Stale {
		if touched[c.Container.Name] || n.memory == nil {
			continue
		}
		if !n.memory.Notified(c.Container.Name, remoteOf(checked, c)) {
			out = append(out, c)
		}
	}
	return out
}

func remoteOf(checked engine.Report, c engine.ContainerStatus) string {
	for _, g := range checked.Groups {
		for _, gc := range g.Containers {
			if gc.Container.ID == c.Container.ID {
				return g.RemoteDigest
			}
		}
	}
	return ""
}

package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

// sendTimeout bounds one message to all services; shoutrrr's senders take
// no context.
const sendTimeout = 30 * time.Second

// Memory remembers which findings were notified, so a stale container left
// alone is notified once per new digest, not at every pass.
type Memory interface {
	Notified(container, digest string) bool
	MarkNotified(container, digest string) error
}

// Options configure a Notifier. The zero value of each is Watchtower's
// default.
type Options struct {
	// URLs are shoutrrr URLs; each may hold several separated by spaces.
	URLs []string
	// Template is a Go text/template or the name of a built-in one
	// (default, default-legacy, porcelain.v1.summary-no-log, json.v1);
	// empty takes default-legacy, or default with Report.
	Template string
	// Report gives templates Data; without it they get the entries alone.
	Report bool
	// Host is .Host and names the host in the title.
	Host string
	// TitleTag is put in brackets before the title.
	TitleTag string
	// SkipTitle sends no title: each service uses its own, if any.
	SkipTitle bool
	// Level is the least severe level of the entries a message includes;
	// empty means info.
	Level string
	// Delay holds every message back this long before it is sent.
	Delay time.Duration
	// Stdout, when set, is where the logger:// service writes; otherwise
	// what it writes goes to the log at debug level.
	Stdout io.Writer
	// Cleanup says old images are removed after updates, for the entries.
	Cleanup bool
	// WarnOnHeadFailure is auto (empty), always or never: the level of the
	// entry about an image the registry could not be asked about.
	WarnOnHeadFailure string
}

// Notifier sends a message at startup and after each pass whose template
// renders something. Messages go out in order, from one goroutine, so a slow
// service or a delay never holds up a pass. It implements daemon.Observer.
type Notifier struct {
	// senders has one router per URL, names its scheme.
	senders  []*router.ServiceRouter
	names    []string
	tmpl     *template.Template
	level    Level
	opts     Options
	memory   Memory
	log      *slog.Logger
	warnings []string

	mu      sync.RWMutex // guards closing queue against sends to it
	closed  bool
	queue   chan message
	done    chan struct{}
	abort   chan struct{}
	aborted sync.Once
}

type message struct {
	text   string
	onSent func()
}

// New checks the URLs, the template and the level; an error names the bad
// one without quoting a URL, which may hold a secret. A template that does
// not parse is replaced by the default, and Warnings says so. Close must be
// called to deliver what is queued.
func New(opts Options, memory Memory, log *slog.Logger) (*Notifier, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	urls := splitURLs(opts.URLs)
	if len(urls) == 0 {
		return nil, fmt.Errorf("notification URL: none given")
	}
	debug := stdlog.New(debugWriter{log}, "shoutrrr: ", 0)
	n := &Notifier{opts: opts, memory: memory, log: log,
		queue: make(chan message, 16), done: make(chan struct{}), abort: make(chan struct{})}
	for i, u := range urls {
		// Only what the logger:// service writes goes to Stdout; shoutrrr's
		// own lines, which may quote URLs, go to the log.
		var logger types.StdLogger = debug
		if opts.Stdout != nil && Scheme(u) == "logger" {
			logger = stdlog.New(opts.Stdout, "", 0)
		}
		r, err := router.New(logger, u)
		if err != nil {
			return nil, fmt.Errorf("notification URL %d of %d (%s): %v", i+1, len(urls), Scheme(u), innermost(err))
		}
		n.senders = append(n.senders, r)
		n.names = append(n.names, Scheme(u))
	}
	var err error
	level := InfoLevel
	if opts.Level != "" {
		if level, err = ParseLevel(opts.Level); err != nil {
			return nil, fmt.Errorf("--notifications-level: %w", err)
		}
	}
	n.level = level
	n.tmpl, err = parseTemplate(opts.Template, opts.Report)
	if err != nil {
		n.warnings = append(n.warnings, fmt.Sprintf("--notification-template does not parse (%v): notifications use the default template instead, as Watchtower's did", err))
	}
	go n.run()
	return n, nil
}

// Names lists the services notified, by URL scheme.
func (n *Notifier) Names() []string { return n.names }

// Warnings says what of the configuration is not used as given.
func (n *Notifier) Warnings() []string { return n.warnings }

// Title is the title messages carry: "[tag] cutover updates on host".
func Title(host, tag string) string {
	t := "cutover updates"
	if tag != "" {
		t = "[" + tag + "] " + t
	}
	if host != "" {
		t += " on " + host
	}
	return t
}

// Startup sends the startup message: entries with no report.
func (n *Notifier) Startup(ctx context.Context, entries []Entry) {
	n.render(ctx, nil, entries, nil)
}

// PassFinished sends a report of the pass when the template renders one.
// Outdated containers the pass left alone are told of once per new digest.
func (n *Notifier) PassFinished(ctx context.Context, r daemon.Report, checked engine.Report) {
	findings := n.newFindings(r, checked)
	announce := map[string]bool{}
	for _, f := range findings {
		announce[f.Container.FullName()] = true
	}
	rep, entries := passData(r, checked, announce, n.opts)
	rep.Units = unitReports(r.Units)
	entries = append(entries, unitEntries(r.Units, r.Finished)...)
	n.render(ctx, rep, entries, func() {
		for _, c := range findings {
			if err := n.memory.MarkNotified(c.Container.FullName(), remoteOf(checked, c)); err != nil {
				n.log.Warn("cannot remember notification", "container", c.Container.FullName(), "err", err)
			}
		}
	})
}

// Close stops taking messages and waits until the queued ones are sent, or
// ctx ends; what is then left is dropped.
func (n *Notifier) Close(ctx context.Context) {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.queue)
	}
	n.mu.Unlock()
	select {
	case <-n.done:
	case <-ctx.Done():
		n.aborted.Do(func() { close(n.abort) })
		n.log.Warn("notifications not sent: shutting down")
	}
}

func (n *Notifier) render(ctx context.Context, rep *Report, all []Entry, onSent func()) {
	var entries []Entry
	for _, e := range all {
		if e.Level <= n.level {
			entries = append(entries, e)
		}
	}
	d := Data{Host: n.opts.Host, Entries: entries, Report: rep}
	if !n.opts.SkipTitle {
		d.Title = Title(n.opts.Host, n.opts.TitleTag)
	}
	var data any = d
	if !n.opts.Report {
		data = entries
	}
	var buf bytes.Buffer
	if err := n.tmpl.Execute(&buf, data); err != nil {
		n.log.Warn("notification template failed", "err", err)
		return
	}
	if strings.TrimSpace(buf.String()) == "" {
		return
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.closed {
		return
	}
	select {
	case n.queue <- message{text: buf.String(), onSent: onSent}:
	case <-ctx.Done():
	}
}

func (n *Notifier) run() {
	defer close(n.done)
	var params *types.Params
	if !n.opts.SkipTitle {
		params = &types.Params{types.TitleKey: Title(n.opts.Host, n.opts.TitleTag)}
	}
	for m := range n.queue {
		if n.opts.Delay > 0 {
			t := time.NewTimer(n.opts.Delay)
			select {
			case <-t.C:
			case <-n.abort:
				t.Stop()
				continue
			}
		}
		if n.send(m.text, params) && m.onSent != nil {
			m.onSent()
		}
	}
}

// send delivers one message to every service and says whether all took it.
func (n *Notifier) send(text string, params *types.Params) bool {
	result := make(chan []error, 1)
	go func() {
		var errs []error
		for _, s := range n.senders {
			errs = append(errs, s.Send(text, params)...)
		}
		result <- errs
	}()
	t := time.NewTimer(sendTimeout)
	defer t.Stop()
	select {
	case errs := <-result:
		ok := true
		for i, err := range errs {
			if err != nil {
				ok = false
				service := "?"
				if i < len(n.names) {
					service = n.names[i]
				}
				n.log.Warn("notification not sent", "service", service, "err", err)
			}
		}
		return ok
	case <-t.C:
		n.log.Warn("notification not sent: timed out", "after", sendTimeout)
	case <-n.abort:
	}
	return false
}

// newFindings are the stale containers the pass did not update whose remote
// digest was not notified yet.
func (n *Notifier) newFindings(r daemon.Report, checked engine.Report) []engine.ContainerStatus {
	if n.memory == nil {
		return nil
	}
	touched := map[string]bool{}
	for _, o := range r.Outcomes {
		if o.Result == engine.ResultUpdated || o.Result == engine.ResultFailed || o.Result == engine.ResultRolledBack {
			touched[o.FullName()] = true
		}
	}
	var out []engine.ContainerStatus
	for _, c := range r.Stale {
		if !touched[c.Container.FullName()] && !n.memory.Notified(c.Container.FullName(), remoteOf(checked, c)) {
			out = append(out, c)
		}
	}
	return out
}

func remoteOf(checked engine.Report, c engine.ContainerStatus) string {
	// Under a tag policy the tag's own digest may not change at all: the
	// offer is what is new.
	if c.Offer != nil {
		return c.Offer.Digest
	}
	for _, g := range checked.Groups {
		for _, gc := range g.Containers {
			if gc.Container.ID == c.Container.ID {
				return g.RemoteDigest
			}
		}
	}
	return ""
}

// splitURLs splits each value on whitespace, never on commas: a shoutrrr URL
// may hold commas (several recipients, tags), never a space.
func splitURLs(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

// Scheme is the service part of a shoutrrr URL.
func Scheme(u string) string {
	i := strings.Index(u, ":")
	if i <= 0 {
		return "invalid"
	}
	return u[:i]
}

// innermost is the last error of a wrapped chain: shoutrrr wraps its errors
// in messages that quote the URLs.
func innermost(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

// debugWriter turns what shoutrrr logs into debug lines.
type debugWriter struct{ log *slog.Logger }

func (w debugWriter) Write(p []byte) (int, error) {
	w.log.Debug(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

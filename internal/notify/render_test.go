package notify

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/daemon"
	"github.com/cutover/cutover/internal/engine"
)

func hexOf(c byte) string { return strings.Repeat(string(c), 64) }

func digest(s string) string { return "sha256:" + strings.Repeat(s, 32) }

var t0 = time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)

// aPass is a pass over five containers: api failed and was rolled back,
// web was updated, worker (same image) was left alone by the policy, db is
// up to date, and gone's registry could not be reached.
func aPass() (daemon.Report, engine.Report) {
	api := engine.Container{ID: hexOf('a'), Name: "api", Image: "example.com/shop/api", ImageID: digest("0a"),
		Labels: map[string]string{"com.centurylinklabs.watchtower.stop-signal": "SIGINT"}}
	web := engine.Container{ID: hexOf('b'), Name: "web", Image: "example.com/shop/web:1.2", ImageID: digest("0b")}
	worker := engine.Container{ID: hexOf('c'), Name: "worker", Image: "example.com/shop/web:1.2", ImageID: digest("0b")}
	db := engine.Container{ID: hexOf('d'), Name: "db", Image: "postgres:16", ImageID: digest("0d")}
	gone := engine.Container{ID: hexOf('e'), Name: "gone", Image: "127.0.0.1:1/gone", ImageID: digest("0e")}
	refused := `Head "http://127.0.0.1:1/v2/gone/manifests/latest": connection refused`
	checked := engine.Report{CheckedAt: t0, Groups: []engine.Group{
		{Image: "127.0.0.1:1/gone:latest", Ref: engine.Reference{Host: "127.0.0.1:1"}, Reason: refused, Status: engine.StatusUnknown,
			Containers: []engine.ContainerStatus{{Container: gone, LocalDigest: digest("e1"), Status: engine.StatusUnknown, Reason: refused}}},
		{Image: "example.com/shop/api:latest", Ref: engine.Reference{Host: "example.com"}, RemoteDigest: digest("a2"), Status: engine.StatusOutdated,
			Containers: []engine.ContainerStatus{{Container: api, LocalDigest: digest("a1"), Status: engine.StatusOutdated, AutoUpdate: true}}},
		{Image: "example.com/shop/web:1.2", Ref: engine.Reference{Host: "example.com"}, RemoteDigest: digest("b2"), Status: engine.StatusOutdated,
			Containers: []engine.ContainerStatus{
				{Container: web, LocalDigest: digest("b1"), Status: engine.StatusOutdated, AutoUpdate: true},
				{Container: worker, LocalDigest: digest("b1"), Status: engine.StatusOutdated},
			}},
		{Image: "postgres:16", Ref: engine.Reference{Host: "index.docker.io"}, RemoteDigest: digest("d1"), Status: engine.StatusUpToDate,
			Containers: []engine.ContainerStatus{{Container: db, LocalDigest: digest("d1"), Status: engine.StatusUpToDate}}},
	}}
	r := daemon.Report{ID: "p1", Started: t0, Finished: t0.Add(time.Minute), Trigger: "schedule"}
	r.Scanned, r.Updated, r.Failed, r.Skipped, r.Fresh = 5, 1, 1, 2, 1
	r.Outcomes = []engine.Outcome{
		{Container: "api", Image: "example.com/shop/api:latest", OldDigest: digest("a1"), NewDigest: digest("a2"), Result: engine.ResultRolledBack, Err: errString("new container exited: exit code 1")},
		{Container: "web", Image: "example.com/shop/web:1.2", OldDigest: digest("b1"), NewDigest: digest("b2"), Result: engine.ResultUpdated},
		{Container: "worker", Image: "example.com/shop/web:1.2", Result: engine.ResultSkipped, Err: errString("auto-update is off")},
	}
	for _, g := range checked.Groups {
		for _, c := range g.Containers {
			if c.Status == engine.StatusOutdated {
				r.Stale = append(r.Stale, c)
			}
		}
	}
	return r, checked
}

// aQuietPass found db up to date and nothing else.
func aQuietPass() (daemon.Report, engine.Report) {
	r, checked := aPass()
	checked.Groups = checked.Groups[3:]
	r.Outcomes, r.Stale = nil, nil
	r.Scanned, r.Updated, r.Failed, r.Skipped, r.Fresh = 1, 0, 0, 0, 1
	return r, checked
}

type errString string

func (e errString) Error() string { return string(e) }

type memory struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memory) Notified(c, d string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[c+"@"+d]
}

func (m *memory) MarkNotified(c, d string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	m.seen[c+"@"+d] = true
	return nil
}

// rendered runs passes through a notifier whose only service is logger://
// writing to a buffer, and returns what it wrote.
func rendered(t *testing.T, opts Options, passes ...func() (daemon.Report, engine.Report)) string {
	t.Helper()
	out := &lockedBuffer{}
	opts.URLs = []string{"logger://"}
	opts.Stdout = out
	n, err := New(opts, &memory{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range passes {
		if i > 0 {
			// A finding is remembered once its message is out.
			deadline := time.Now().Add(10 * time.Second)
			for out.Len() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}
		r, checked := p()
		n.PassFinished(context.Background(), r, checked)
	}
	n.Close(context.Background())
	return out.String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const (
	wantLegacy = `Unable to update container "/gone": Head "http://127.0.0.1:1/v2/gone/manifests/latest": connection refused. Proceeding to next.
Found new example.com/shop/api:latest image (a2a2a2a2a2a2)
Found new example.com/shop/web:1.2 image (b2b2b2b2b2b2)
Found new example.com/shop/web:1.2 image (b2b2b2b2b2b2)
Stopping /api (aaaaaaaaaaaa) with SIGINT
Update of /api failed: new container exited: exit code 1
Stopping /web (bbbbbbbbbbbb) with SIGTERM
Creating /web
`
	wantReport = `4 Scanned, 1 Updated, 1 Failed
- /web (example.com/shop/web:1.2): b1b1b1b1b1b1 updated to b2b2b2b2b2b2
- /db (postgres:16): Fresh
- /gone (127.0.0.1:1/gone): Skipped: Head "http://127.0.0.1:1/v2/gone/manifests/latest": connection refused
- /api (example.com/shop/api:latest): Failed: new container exited: exit code 1
`
	wantPorcelain = `/api (example.com/shop/api:latest): Failed Error: new container exited: exit code 1
/web (example.com/shop/web:1.2): Updated
/worker (example.com/shop/web:1.2): Stale
/db (postgres:16): Fresh
/gone (127.0.0.1:1/gone): Skipped Error: Head "http://127.0.0.1:1/v2/gone/manifests/latest": connection refused
`
)

// Watchtower's documented templates (docs/notifications.md), as users
// pasted them into WATCHTOWER_NOTIFICATION_TEMPLATE.
const (
	docsSimpleTemplate = `{{range .}}{{.Time.Format "2006-01-02 15:04:05"}} ({{.Level}}): {{.Message}}{{println}}{{end}}`
	docsReportTemplate = `
{{- if .Report -}}
  {{- with .Report -}}
{{len .Scanned}} Scanned, {{len .Updated}} Updated, {{len .Failed}} Failed
      {{- range .Updated}}
- {{.Name}} ({{.ImageName}}): {{.CurrentImageID.ShortID}} updated to {{.LatestImageID.ShortID}}
      {{- end -}}
      {{- range .Fresh}}
- {{.Name}} ({{.ImageName}}): {{.State}}
    {{- end -}}
    {{- range .Skipped}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
    {{- end -}}
    {{- range .Failed}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
    {{- end -}}
  {{- end -}}
{{- else -}}
  {{range .Entries -}}{{.Message}}{{"\n"}}{{- end -}}
{{- end -}}`
	// Watchtower's default report template as its documentation shows it.
	docsDefaultTemplate = `
{{- if .Report -}}
  {{- with .Report -}}
    {{- if ( or .Updated .Failed ) -}}
{{len .Scanned}} Scanned, {{len .Updated}} Updated, {{len .Failed}} Failed
      {{- range .Updated}}
- {{.Name}} ({{.ImageName}}): {{.CurrentImageID.ShortID}} updated to {{.LatestImageID.ShortID}}
      {{- end -}}
      {{- range .Fresh}}
- {{.Name}} ({{.ImageName}}): {{.State}}
	  {{- end -}}
	  {{- range .Skipped}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
	  {{- end -}}
	  {{- range .Failed}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
	  {{- end -}}
    {{- end -}}
  {{- end -}}
{{- else -}}
  {{range .Entries -}}{{.Message}}{{"\n"}}{{- end -}}
{{- end -}}`
)

func TestTemplatesRenderWatchtowersText(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		passes []func() (daemon.Report, engine.Report)
		want   string
	}{
		{"default without report", Options{}, nil, wantLegacy},
		{"default-legacy by name", Options{Template: "default-legacy"}, nil, wantLegacy},
		// Watchtower's legacy template over the report's data fails to run;
		// Watchtower then exited, cutover logs it and sends nothing.
		{"default-legacy with report", Options{Template: "default-legacy", Report: true}, nil, ""},
		{"{{range .}} legacy form", Options{Template: `{{range .}}{{.Message}}{{println}}{{end}}`}, nil, wantLegacy},
		{"default with report", Options{Report: true}, nil, wantReport},
		{"default by name", Options{Template: "default", Report: true}, nil, wantReport},
		{"Watchtower's default as documented", Options{Template: docsDefaultTemplate, Report: true}, nil, wantReport},
		{"default with report, quiet pass", Options{Report: true}, []func() (daemon.Report, engine.Report){aQuietPass}, ""},
		{"default without report, quiet pass", Options{}, []func() (daemon.Report, engine.Report){aQuietPass}, ""},
		{"porcelain", Options{Template: "porcelain.v1.summary-no-log", Report: true}, nil, wantPorcelain},
		{"documented simple template", Options{Template: docsSimpleTemplate}, nil,
			"2026-03-01 04:00:00 (info): Unable to update container \"/gone\": Head \"http://127.0.0.1:1/v2/gone/manifests/latest\": connection refused. Proceeding to next.\n" +
				"2026-03-01 04:00:00 (info): Found new example.com/shop/api:latest image (a2a2a2a2a2a2)\n" +
				"2026-03-01 04:00:00 (info): Found new example.com/shop/web:1.2 image (b2b2b2b2b2b2)\n" +
				"2026-03-01 04:00:00 (info): Found new example.com/shop/web:1.2 image (b2b2b2b2b2b2)\n" +
				"2026-03-01 04:01:00 (info): Stopping /api (aaaaaaaaaaaa) with SIGINT\n" +
				"2026-03-01 04:01:00 (error): Update of /api failed: new container exited: exit code 1\n" +
				"2026-03-01 04:01:00 (info): Stopping /web (bbbbbbbbbbbb) with SIGTERM\n" +
				"2026-03-01 04:01:00 (info): Creating /web\n"},
		{"documented report template", Options{Template: docsReportTemplate, Report: true}, nil, wantReport},
		{"documented report template, quiet pass", Options{Template: docsReportTemplate, Report: true},
			[]func() (daemon.Report, engine.Report){aQuietPass}, "1 Scanned, 0 Updated, 0 Failed\n- /db (postgres:16): Fresh\n"},
		{"functions and ids", Options{Report: true, Template: `{{range .Report.All}}{{.ID.ShortID}} {{.Name | ToUpper}} {{.State | ToLower}} {{Title "hELLO wORLD"}}{{println}}{{end}}`}, nil,
			"aaaaaaaaaaaa /API failed Hello World\nbbbbbbbbbbbb /WEB updated Hello World\ncccccccccccc /WORKER stale Hello World\n" +
				"dddddddddddd /DB fresh Hello World\neeeeeeeeeeee /GONE skipped Hello World\n"},
		{"level error", Options{Level: "error"}, nil, "Update of /api failed: new container exited: exit code 1\n"},
		{"level warn, head failures always", Options{Level: "warn", WarnOnHeadFailure: WarnAlways}, nil,
			"Could not do a head request for \"127.0.0.1:1/gone\": Head \"http://127.0.0.1:1/v2/gone/manifests/latest\": connection refused\n" +
				"Update of /api failed: new container exited: exit code 1\n"},
		{"cleanup", Options{Cleanup: true, Level: "INFO"}, nil, wantLegacy + "Removing image 0b0b0b0b0b0b\n"},
		{"a finding is told once", Options{}, []func() (daemon.Report, engine.Report){aPass, aPass},
			wantLegacy + strings.Replace(wantLegacy, "Found new example.com/shop/web:1.2 image (b2b2b2b2b2b2)\n", "", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			passes := tt.passes
			if passes == nil {
				passes = append(passes, aPass)
			}
			if diff := cmp.Diff(tt.want, rendered(t, tt.opts, passes...)); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONTemplate(t *testing.T) {
	got := rendered(t, Options{Template: "json.v1", Report: true, Host: "box", TitleTag: "prod"}, aQuietPass)
	want := `{
  "entries": [],
  "host": "box",
  "report": {
    "failed": [],
    "fresh": [
      {
        "currentImageId": "d1d1d1d1d1d1",
        "id": "dddddddddddd",
        "imageName": "postgres:16",
        "latestImageId": "d1d1d1d1d1d1",
        "name": "/db",
        "state": "Fresh"
      }
    ],
    "scanned": [
      {
        "currentImageId": "d1d1d1d1d1d1",
        "id": "dddddddddddd",
        "imageName": "postgres:16",
        "latestImageId": "d1d1d1d1d1d1",
        "name": "/db",
        "state": "Fresh"
      }
    ],
    "skipped": [],
    "stale": [],
    "updated": []
  },
  "title": "[prod] cutover updates on box"
}
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("json.v1 (-want +got):\n%s", diff)
	}
}

func TestStartupMessage(t *testing.T) {
	entries := []Entry{entry(t0, InfoLevel, "cutover dev"), entry(t0, InfoLevel, "Using notifications: logger"), entry(t0, WarnLevel, "a warning"), entry(t0, DebugLevel, "hidden")}
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{}, "cutover dev\nUsing notifications: logger\na warning\n"},
		{Options{Report: true}, "cutover dev\nUsing notifications: logger\na warning\n"},
		{Options{Report: true, Template: "porcelain.v1.summary-no-log"}, ""},
		{Options{Level: "warning"}, "a warning\n"},
	} {
		var out bytes.Buffer
		tt.opts.URLs, tt.opts.Stdout = []string{"logger://"}, &out
		n, err := New(tt.opts, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		n.Startup(context.Background(), entries)
		n.Close(context.Background())
		if out.String() != tt.want {
			t.Errorf("startup message with %+v: got %q, want %q", tt.opts, out.String(), tt.want)
		}
	}
}

func TestBadTemplateFallsBackToTheDefault(t *testing.T) {
	var out bytes.Buffer
	n, err := New(Options{URLs: []string{"logger://"}, Stdout: &out, Template: "{{range .}", Report: true}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, checked := aPass()
	n.PassFinished(context.Background(), r, checked)
	n.Close(context.Background())
	if w := n.Warnings(); len(w) != 1 || !strings.Contains(w[0], "--notification-template does not parse") {
		t.Errorf("warnings: got %q, want one saying the template does not parse", w)
	}
	if out.String() != wantReport {
		t.Errorf("message: got %q, want the default report %q", out.String(), wantReport)
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{}, "notification URL: none given"},
		{Options{URLs: []string{"logger:// nope://secret@x"}}, "notification URL 2 of 2 (nope)"},
		{Options{URLs: []string{"logger://"}, Level: "loud"}, `--notifications-level: level "loud"`},
	} {
		_, err := New(tt.opts, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("New(%+v): got %v, want an error saying %q without the secret", tt.opts, err, tt.want)
		}
	}
}

func TestLevels(t *testing.T) {
	for in, want := range map[string]Level{"panic": PanicLevel, "FATAL": FatalLevel, "error": ErrorLevel, "warn": WarnLevel,
		"Warning": WarnLevel, "info": InfoLevel, "debug": DebugLevel, " trace ": TraceLevel} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if WarnLevel.String() != "warning" {
		t.Errorf("WarnLevel prints %q, want warning as Watchtower's templates did", WarnLevel.String())
	}
}

package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/template"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// Built-in template names, as Watchtower's --notification-template took them.
const (
	TemplateDefault       = "default"
	TemplateDefaultLegacy = "default-legacy"
	TemplatePorcelainV1   = "porcelain.v1.summary-no-log"
	TemplateJSONV1        = "json.v1"
)

// builtin are the templates Watchtower shipped; each renders the text
// Watchtower's did, byte for byte.
var builtin = map[string]string{
	// The entries, one per line: Watchtower's default without
	// --notification-report. Its data is the entries alone.
	TemplateDefaultLegacy: `{{range .}}{{.Message}}{{println}}{{end}}`,

	// A summary once something was updated or failed: Watchtower's
	// default with --notification-report. Without a report (the startup
	// message) it lists the entries.
	TemplateDefault: `
{{- with .Report -}}
{{- if or .Updated .Failed -}}
{{len .Scanned}} Scanned, {{len .Updated}} Updated, {{len .Failed}} Failed
{{- range .Updated}}
- {{.Name}} ({{.ImageName}}): {{.CurrentImageID.ShortID}} updated to {{.LatestImageID.ShortID}}{{if .Moved}} ({{.CurrentVersion}} -> {{.LatestVersion}}, {{.LatestReference}}){{end}}
{{- end}}
{{- range .Fresh}}
- {{.Name}} ({{.ImageName}}): {{.State}}
{{- end}}
{{- range .Skipped}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
{{- end}}
{{- range .Failed}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
{{- end}}
{{- end -}}
{{- else -}}
{{- range .Entries}}{{.Message}}{{"\n"}}{{end -}}
{{- end -}}`,

	// One line per container for scripts (--porcelain v1); nothing for the
	// startup message.
	TemplatePorcelainV1: `
{{- with .Report -}}
{{- range .All -}}
{{.Name}} ({{.ImageName}}): {{.State}}{{with .Error}} Error: {{.}}{{end}}{{println}}
{{- else -}}
no containers matched filter
{{- end -}}
{{- end -}}`,

	TemplateJSONV1: `{{ . | ToJSON }}`,
}

// funcs are the functions Watchtower registered for its templates.
var funcs = template.FuncMap{
	"ToUpper": strings.ToUpper,
	"ToLower": strings.ToLower,
	"ToJSON":  toJSON,
	"Title":   func(s string) string { return cases.Title(language.AmericanEnglish).String(s) },
}

func toJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("failed to marshal JSON in notification template: %v", err)
	}
	return string(b)
}

// parseTemplate turns --notification-template (a built-in name or a Go
// template) into a template. An empty text takes the default for the data
// the template gets. A text that does not parse also takes the default, as
// Watchtower did, and the error says why, for a warning.
func parseTemplate(text string, report bool) (*template.Template, error) {
	if b, ok := builtin[text]; ok {
		text = b
	}
	def := builtin[TemplateDefaultLegacy]
	if report {
		def = builtin[TemplateDefault]
	}
	if text == "" {
		text = def
	}
	tmpl, err := template.New("notification").Funcs(funcs).Parse(text)
	if err == nil {
		return tmpl, nil
	}
	return template.Must(template.New("notification").Funcs(funcs).Parse(def)), err
}

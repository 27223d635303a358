package cli

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/cutover/cutover/internal/notify"
)

// notifyOptions are the notification flags: shoutrrr URLs and templates,
// and Watchtower's per-service settings from before shoutrrr, which are
// translated into URLs as Watchtower did.
type notifyOptions struct {
	urls       []string
	template   string
	report     bool
	titleTag   string
	skipTitle  bool
	logStdout  bool
	level      string
	delay      int
	hostname   string
	legacy     notify.Legacy
	emailPort  int
	emailWait  int
	subjectTag string
}

// legacyFlags are Watchtower's per-service notification flags. They work,
// but are left out of --help and have no CUTOVER_ variable: a new
// configuration says the same with --notification-url.
var legacyFlags = map[string]bool{
	"notifications": true, "notification-email-from": true, "notification-email-to": true,
	"notification-email-server": true, "notification-email-server-port": true,
	"notification-email-server-user": true, "notification-email-server-password": true,
	"notification-email-server-tls-skip-verify": true, "notification-email-delay": true,
	"notification-email-subjecttag": true, "notification-slack-hook-url": true,
	"notification-slack-identifier": true, "notification-slack-channel": true,
	"notification-slack-icon-emoji": true, "notification-slack-icon-url": true,
	"notification-msteams-hook": true, "notification-msteams-data": true,
	"notification-gotify-url": true, "notification-gotify-token": true,
	"notification-gotify-tls-skip-verify": true,
}

func (n *notifyOptions) addFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&n.urls, "notification-url", nil, "shoutrrr URL to notify (repeatable; the variable takes several separated by spaces)")
	f.StringVar(&n.template, "notification-template", "", "Go template for notifications, or default, default-legacy, porcelain.v1.summary-no-log, json.v1")
	f.BoolVar(&n.report, "notification-report", false, "give templates the pass report (.Report) rather than the list of entries")
	f.StringVar(&n.titleTag, "notification-title-tag", "", "put [TAG] before the notification title")
	f.BoolVar(&n.skipTitle, "notification-skip-title", false, "send no title: each service uses its own")
	f.BoolVar(&n.logStdout, "notification-log-stdout", false, "the logger:// service writes to stdout instead of the log")
	f.StringVar(&n.level, "notifications-level", "info", "least severe entries notified: panic, fatal, error, warn, info, debug or trace")
	f.IntVar(&n.delay, "notifications-delay", 0, "seconds to hold each notification back before sending it")
	f.StringVar(&n.hostname, "notifications-hostname", "", "host name in notification titles (default: this machine's)")

	const legacy = "Watchtower's legacy notification setting"
	f.StringSliceVarP(&n.legacy.Types, "notifications", "n", nil, "Watchtower's legacy notification types: email, slack, msteams, gotify, shoutrrr")
	e := &n.legacy.Email
	for _, s := range []struct {
		name  string
		value *string
	}{
		{"notification-email-from", &e.From}, {"notification-email-to", &e.To}, {"notification-email-server", &e.Server},
		{"notification-email-server-user", &e.User}, {"notification-email-server-password", &e.Password},
		{"notification-email-subjecttag", &n.subjectTag},
		{"notification-slack-hook-url", &n.legacy.Slack.HookURL}, {"notification-slack-channel", &n.legacy.Slack.Channel},
		{"notification-slack-icon-emoji", &n.legacy.Slack.IconEmoji}, {"notification-slack-icon-url", &n.legacy.Slack.IconURL},
		{"notification-msteams-hook", &n.legacy.Teams.HookURL},
		{"notification-gotify-url", &n.legacy.Gotify.URL}, {"notification-gotify-token", &n.legacy.Gotify.Token},
	} {
		f.StringVar(s.value, s.name, "", legacy)
	}
	f.StringVar(&n.legacy.Slack.Identifier, "notification-slack-identifier", "watchtower", legacy)
	f.IntVar(&n.emailPort, "notification-email-server-port", 25, legacy)
	f.IntVar(&n.emailWait, "notification-email-delay", 0, legacy)
	for _, s := range []struct {
		name  string
		value *bool
	}{
		{"notification-email-server-tls-skip-verify", &e.TLSSkipVerify},
		{"notification-msteams-data", &n.legacy.Teams.Data},
		{"notification-gotify-tls-skip-verify", &n.legacy.Gotify.TLSSkipVerify},
	} {
		f.BoolVar(s.value, s.name, false, legacy)
	}
	for name := range legacyFlags {
		_ = f.MarkHidden(name)
	}
}

// settings turns the flags into the notifier's options: the legacy
// services' URLs after the given ones, the email delay before the general
// one, the email subject tag when no title tag is set, as Watchtower did.
// notes say where a setting is not used as given.
func (n *notifyOptions) settings(host string) (opts notify.Options, notes []string, err error) {
	if _, err := notify.ParseLevel(n.level); err != nil {
		return notify.Options{}, nil, fmt.Errorf("--notifications-level: %w", err)
	}
	n.legacy.Email.Port = n.emailPort
	n.legacy.Email.Delay = time.Duration(n.emailWait) * time.Second
	tr, err := n.legacy.Translate()
	if err != nil {
		return notify.Options{}, nil, err
	}
	if n.hostname != "" {
		host = n.hostname
	}
	opts = notify.Options{
		URLs:      append(append([]string(nil), n.urls...), tr.URLs...),
		Template:  n.template,
		Report:    n.report,
		Host:      host,
		TitleTag:  n.titleTag,
		SkipTitle: n.skipTitle,
		Level:     n.level,
		Delay:     time.Duration(n.delay) * time.Second,
	}
	if tr.Delay > 0 {
		opts.Delay = tr.Delay
	}
	if opts.TitleTag == "" {
		opts.TitleTag = n.subjectTag
	}
	return opts, tr.Notes, nil
}

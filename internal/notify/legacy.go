package notify

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nicholas-fedor/shoutrrr/pkg/services/chat/teams"
)

// Legacy are the per-service notification settings Watchtower had before
// shoutrrr URLs (--notifications email slack msteams gotify and their
// --notification-<service>-* flags). Translate turns them into the URLs
// Watchtower built from them.
type Legacy struct {
	// Types are the services to notify; "shoutrrr" means the URLs given
	// directly and adds nothing.
	Types  []string
	Email  LegacyEmail
	Slack  LegacySlack
	Teams  LegacyTeams
	Gotify LegacyGotify
}

// LegacyEmail is --notification-email-*.
type LegacyEmail struct {
	From, To, Server, User, Password string
	Port                             int
	// TLSSkipVerify, as in Watchtower, sends without encryption at all.
	TLSSkipVerify bool
	Delay         time.Duration
}

// LegacySlack is --notification-slack-*.
type LegacySlack struct {
	HookURL, Identifier, Channel, IconEmoji, IconURL string
}

// LegacyTeams is --notification-msteams-*.
type LegacyTeams struct {
	HookURL string
	// Data asked for log fields as message facts; shoutrrr has no such
	// thing, and Watchtower's translation dropped it too.
	Data bool
}

// LegacyGotify is --notification-gotify-*.
type LegacyGotify struct {
	URL, Token    string
	TLSSkipVerify bool
}

// Translation is what legacy settings come to.
type Translation struct {
	URLs []string
	// Delay is the email delay when one is set: it holds back every
	// message, as Watchtower's did.
	Delay time.Duration
	// Notes say where a setting is not used as given.
	Notes []string
}

// legacyColor is the message colour Watchtower gave the services that take one.
const legacyColor = "#406170"

// Translate builds one shoutrrr URL per service type, in order. An unknown
// type, or a service without the settings it needs, is an error that names
// the flag to set.
func (l Legacy) Translate() (Translation, error) {
	var t Translation
	for _, typ := range l.Types {
		var (
			u     string
			notes []string
			err   error
		)
		switch strings.ToLower(strings.TrimSpace(typ)) {
		case "":
			continue
		case "shoutrrr":
			continue
		case "email":
			u, err = l.Email.url()
			t.Delay = max(t.Delay, l.Email.Delay)
		case "slack":
			u, notes, err = l.Slack.url()
		case "msteams":
			u, notes, err = l.Teams.url()
		case "gotify":
			u, notes, err = l.Gotify.url()
		default:
			return Translation{}, fmt.Errorf("--notifications %q: unknown type (want email, slack, msteams, gotify or shoutrrr)", typ)
		}
		if err != nil {
			return Translation{}, err
		}
		t.URLs = append(t.URLs, u)
		t.Notes = append(t.Notes, notes...)
	}
	return t, nil
}

func (e LegacyEmail) url() (string, error) {
	for _, req := range []struct{ flag, v string }{
		{"--notification-email-from", e.From}, {"--notification-email-to", e.To}, {"--notification-email-server", e.Server},
	} {
		if strings.TrimSpace(req.v) == "" {
			return "", fmt.Errorf("--notifications email: %s (WATCHTOWER_%s) is empty", req.flag, envOf(req.flag))
		}
	}
	if e.Port < 0 || e.Port > 65535 {
		return "", fmt.Errorf("--notification-email-server-port %d: want 0 to 65535", e.Port)
	}
	q := url.Values{}
	q.Set("fromaddress", e.From)
	q.Set("fromname", "Watchtower")
	q.Set("toaddresses", e.To)
	q.Set("subject", "")
	q.Set("auth", "None")
	if e.User != "" {
		q.Set("auth", "Plain")
	}
	if e.TLSSkipVerify {
		q.Set("encryption", "None")
		q.Set("usestarttls", "No")
	}
	u := url.URL{Scheme: "smtp", Host: e.Server + ":" + strconv.Itoa(e.Port), Path: "/", RawQuery: q.Encode()}
	if e.User != "" || e.Password != "" {
		u.User = url.UserPassword(e.User, e.Password)
	}
	return u.String(), nil
}

func (s LegacySlack) url() (string, []string, error) {
	if strings.TrimSpace(s.HookURL) == "" {
		return "", nil, errors.New("--notifications slack: --notification-slack-hook-url (WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL) is empty")
	}
	hook, err := url.Parse(strings.TrimSpace(s.HookURL))
	if err != nil || hook.Host == "" || (hook.Scheme != "https" && hook.Scheme != "http") {
		return "", nil, errors.New("--notification-slack-hook-url: not an http(s) URL")
	}
	parts := strings.Split(strings.Trim(hook.Path, "/"), "/")
	icon := s.IconEmoji
	if s.IconURL != "" {
		icon = s.IconURL
	}
	switch hook.Hostname() {
	case "discord.com", "discordapp.com":
		// Discord's Slack-compatible hooks end in /<id>/<token>/slack.
		if len(parts) < 3 {
			return "", nil, errors.New("--notification-slack-hook-url: a Discord hook needs /api/webhooks/<id>/<token>/slack")
		}
		q := url.Values{}
		q.Set("color", "0x406170")
		for _, k := range []string{"colordebug", "colorerror", "colorinfo", "colorwarn"} {
			q.Set(k, "0x0")
		}
		q.Set("username", s.Identifier)
		if s.IconURL != "" {
			q.Set("avatar", s.IconURL)
		}
		u := url.URL{Scheme: "discord", User: url.User(parts[len(parts)-2]), Host: parts[len(parts)-3], RawQuery: q.Encode()}
		return u.String(), channelNote(s.Channel), nil
	case "hooks.slack.com":
		if len(parts) != 4 || parts[0] != "services" || parts[1] == "" || parts[2] == "" || parts[3] == "" {
			return "", nil, errors.New("--notification-slack-hook-url: a Slack hook is https://hooks.slack.com/services/<T...>/<B...>/<token>")
		}
		q := url.Values{}
		q.Set("botname", s.Identifier)
		q.Set("color", legacyColor)
		if icon != "" {
			q.Set("icon", icon)
		}
		return "slack://hook:" + parts[1] + "-" + parts[2] + "-" + parts[3] + "@webhook?" + q.Encode(), channelNote(s.Channel), nil
	}
	// Another host speaking Slack's webhook format (Mattermost, Rocket.Chat,
	// a relay): Watchtower refused to start with it. The message goes to the
	// URL as given, as Slack's JSON.
	q := hook.Query()
	q.Set("template", "json")
	q.Set("messagekey", "text")
	q.Set("$username", s.Identifier)
	if s.Channel != "" {
		q.Set("$channel", s.Channel)
	}
	switch {
	case s.IconURL != "":
		q.Set("$icon_url", s.IconURL)
	case s.IconEmoji != "":
		q.Set("$icon_emoji", s.IconEmoji)
	}
	hook.RawQuery = q.Encode()
	return "generic+" + hook.String(), nil, nil
}

func channelNote(channel string) []string {
	if channel == "" {
		return nil
	}
	return []string{"--notification-slack-channel: the hook posts to the channel it was made for; the channel is not sent (Watchtower's translation dropped it too)"}
}

func (m LegacyTeams) url() (string, []string, error) {
	if strings.TrimSpace(m.HookURL) == "" {
		return "", nil, errors.New("--notifications msteams: --notification-msteams-hook (WATCHTOWER_NOTIFICATION_MSTEAMS_HOOK_URL) is empty")
	}
	hook, err := url.Parse(strings.TrimSpace(m.HookURL))
	if err != nil {
		return "", nil, errors.New("--notification-msteams-hook: not a URL")
	}
	cfg, err := teams.ConfigFromWebhookURL(*hook)
	if err != nil {
		return "", nil, fmt.Errorf("--notification-msteams-hook: %v (Teams takes https://<tenant>.webhook.office.com/webhookb2/... hooks; the older outlook.office.com ones no longer work)", err)
	}
	cfg.Color = legacyColor
	var notes []string
	if m.Data {
		notes = append(notes, "--notification-msteams-data: log fields are not sent as message facts (Watchtower's shoutrrr-based notifications did not send them either)")
	}
	return cfg.GetURL().String(), notes, nil
}

func (g LegacyGotify) url() (string, []string, error) {
	if strings.TrimSpace(g.URL) == "" {
		return "", nil, errors.New("--notifications gotify: --notification-gotify-url (WATCHTOWER_NOTIFICATION_GOTIFY_URL) is empty")
	}
	if strings.TrimSpace(g.Token) == "" {
		return "", nil, errors.New("--notifications gotify: --notification-gotify-token (WATCHTOWER_NOTIFICATION_GOTIFY_TOKEN) is empty")
	}
	api, err := url.Parse(strings.TrimSpace(g.URL))
	if err != nil || api.Host == "" || (api.Scheme != "http" && api.Scheme != "https") {
		return "", nil, errors.New(`--notification-gotify-url: must start with "http://" or "https://"`)
	}
	q := url.Values{}
	q.Set("title", "")
	var notes []string
	if api.Scheme == "http" {
		q.Set("disabletls", "Yes")
		notes = append(notes, "--notification-gotify-url: using an HTTP URL for Gotify is insecure")
	}
	if g.TLSSkipVerify {
		q.Set("insecureskipverify", "Yes")
	}
	sub := strings.Trim(api.Path, "/")
	if sub != "" {
		sub += "/"
	}
	u := url.URL{Scheme: "gotify", Host: api.Host, Path: "/" + sub + strings.TrimSpace(g.Token), RawQuery: q.Encode()}
	return u.String(), notes, nil
}

// envOf is Watchtower's variable name for a flag, without its prefix.
func envOf(flag string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(flag, "--"), "-", "_"))
}

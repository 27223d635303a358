package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nicholas-fedor/shoutrrr/pkg/router"
)

// TestLegacyTranslation turns each of Watchtower's legacy services into a
// shoutrrr URL. watchtower is the URL Watchtower's own tests expect from the
// same settings (pkg/notifications/notifier_test.go); where it is empty, the
// shoutrrr cutover ships no longer takes Watchtower's form and want is the
// same hook in the form it takes.
func TestLegacyTranslation(t *testing.T) {
	const teamsHook = "https://contoso.webhook.office.com/webhookb2/11111111-4444-4444-8444-cccccccccccc@22222222-4444-4444-8444-cccccccccccc/IncomingWebhook/33333333012222222222333333333344/44444444-4444-4444-8444-cccccccccccc/V2a"
	tests := []struct {
		name       string
		legacy     Legacy
		watchtower string
		want       string
		delay      time.Duration
		notes      []string
	}{
		{
			name: "email with a user",
			legacy: Legacy{Types: []string{"email"}, Email: LegacyEmail{From: "lala@example.com", To: "mail@example.com",
				Server: "mail.containrrr.dev", Port: 25, User: "containrrrbot", Password: "secret-password", Delay: 7 * time.Second}},
			watchtower: "smtp://containrrrbot:secret-password@mail.containrrr.dev:25/?auth=Plain&fromaddress=lala%40example.com&fromname=Watchtower&subject=&toaddresses=mail%40example.com",
			want:       "smtp://containrrrbot:secret-password@mail.containrrr.dev:25/?auth=Plain&fromaddress=lala%40example.com&fromname=Watchtower&subject=&toaddresses=mail%40example.com",
			delay:      7 * time.Second,
		},
		{
			name:   "email without a user, TLS verification skipped",
			legacy: Legacy{Types: []string{"email"}, Email: LegacyEmail{From: "a@example.com", To: "b@example.com", Server: "smtp.example.com", Port: 587, TLSSkipVerify: true}},
			want:   "smtp://smtp.example.com:587/?auth=None&encryption=None&fromaddress=a%40example.com&fromname=Watchtower&subject=&toaddresses=b%40example.com&usestarttls=No",
		},
		{
			name: "slack with an icon URL",
			legacy: Legacy{Types: []string{"slack"}, Slack: LegacySlack{HookURL: "https://hooks.slack.com/services/AAAAAAAAA/BBBBBBBBB/123456789123456789123456",
				Identifier: "containrrrbot", IconURL: "https://containrrr.dev/watchtower-sq180.png", IconEmoji: "whale"}},
			watchtower: "slack://hook:AAAAAAAAA-BBBBBBBBB-123456789123456789123456@webhook?botname=containrrrbot&color=%23406170&icon=https%3A%2F%2Fcontainrrr.dev%2Fwatchtower-sq180.png",
			want:       "slack://hook:AAAAAAAAA-BBBBBBBBB-123456789123456789123456@webhook?botname=containrrrbot&color=%23406170&icon=https%3A%2F%2Fcontainrrr.dev%2Fwatchtower-sq180.png",
		},
		{
			name: "slack with an icon emoji and a channel",
			legacy: Legacy{Types: []string{"slack"}, Slack: LegacySlack{HookURL: "https://hooks.slack.com/services/AAAAAAAAA/BBBBBBBBB/123456789123456789123456",
				Identifier: "containrrrbot", IconEmoji: "whale", Channel: "#ops"}},
			watchtower: "slack://hook:AAAAAAAAA-BBBBBBBBB-123456789123456789123456@webhook?botname=containrrrbot&color=%23406170&icon=whale",
			want:       "slack://hook:AAAAAAAAA-BBBBBBBBB-123456789123456789123456@webhook?botname=containrrrbot&color=%23406170&icon=whale",
			notes:      []string{"--notification-slack-channel: the hook posts to the channel it was made for; the channel is not sent (Watchtower's translation dropped it too)"},
		},
		{
			name:       "slack hook of discord.com",
			legacy:     Legacy{Types: []string{"slack"}, Slack: LegacySlack{HookURL: "https://discord.com/api/webhooks/123456789/abvsihdbau/slack", Identifier: "watchtower"}},
			watchtower: "discord://abvsihdbau@123456789?color=0x406170&colordebug=0x0&colorerror=0x0&colorinfo=0x0&colorwarn=0x0&username=watchtower",
			want:       "discord://abvsihdbau@123456789?color=0x406170&colordebug=0x0&colorerror=0x0&colorinfo=0x0&colorwarn=0x0&username=watchtower",
		},
		{
			name: "slack hook of discordapp.com with an avatar",
			legacy: Legacy{Types: []string{"slack"}, Slack: LegacySlack{HookURL: "https://discordapp.com/api/webhooks/123456789/abvsihdbau/slack",
				Identifier: "containrrrbot", IconURL: "https://containrrr.dev/watchtower-sq180.png"}},
			watchtower: "discord://abvsihdbau@123456789?avatar=https%3A%2F%2Fcontainrrr.dev%2Fwatchtower-sq180.png&color=0x406170&colordebug=0x0&colorerror=0x0&colorinfo=0x0&colorwarn=0x0&username=containrrrbot",
			want:       "discord://abvsihdbau@123456789?avatar=https%3A%2F%2Fcontainrrr.dev%2Fwatchtower-sq180.png&color=0x406170&colordebug=0x0&colorerror=0x0&colorinfo=0x0&colorwarn=0x0&username=containrrrbot",
		},
		{
			name: "slack-compatible hook of another host (Watchtower refused it)",
			legacy: Legacy{Types: []string{"slack"}, Slack: LegacySlack{HookURL: "https://chat.example.com/hooks/xyz",
				Identifier: "watchtower", Channel: "town-square", IconEmoji: ":whale:"}},
			want: "generic+https://chat.example.com/hooks/xyz?%24channel=town-square&%24icon_emoji=%3Awhale%3A&%24username=watchtower&messagekey=text&template=json",
		},
		{
			name:   "msteams, with log data asked for",
			legacy: Legacy{Types: []string{"msteams"}, Teams: LegacyTeams{HookURL: teamsHook, Data: true}},
			want:   "teams://11111111-4444-4444-8444-cccccccccccc@22222222-4444-4444-8444-cccccccccccc/33333333012222222222333333333344/44444444-4444-4444-8444-cccccccccccc/V2a?color=%23406170&host=contoso.webhook.office.com",
			notes:  []string{"--notification-msteams-data: log fields are not sent as message facts (Watchtower's shoutrrr-based notifications did not send them either)"},
		},
		{
			name:       "gotify over https",
			legacy:     Legacy{Types: []string{"gotify"}, Gotify: LegacyGotify{URL: "https://shoutrrr.local", Token: "Aaaaaaaaaaaaaaa"}},
			watchtower: "gotify://shoutrrr.local/Aaaaaaaaaaaaaaa?title=",
			want:       "gotify://shoutrrr.local/Aaaaaaaaaaaaaaa?title=",
		},
		{
			name:   "gotify over http, TLS verification skipped",
			legacy: Legacy{Types: []string{"gotify"}, Gotify: LegacyGotify{URL: "http://gotify.lan:8080/", Token: "Aaaaaaaaaaaaaaa", TLSSkipVerify: true}},
			want:   "gotify://gotify.lan:8080/Aaaaaaaaaaaaaaa?disabletls=Yes&insecureskipverify=Yes&title=",
			notes:  []string{"--notification-gotify-url: using an HTTP URL for Gotify is insecure"},
		},
		{
			name:   "shoutrrr adds nothing",
			legacy: Legacy{Types: []string{"shoutrrr"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := tt.legacy.Translate()
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if diff := cmp.Diff(want, tr.URLs); diff != "" {
				t.Errorf("URLs (-want +got):\n%s", diff)
			}
			if tt.watchtower != "" && tt.watchtower != tt.want {
				t.Errorf("want %q differs from Watchtower's %q", tt.want, tt.watchtower)
			}
			if tr.Delay != tt.delay {
				t.Errorf("delay: got %s, want %s", tr.Delay, tt.delay)
			}
			if diff := cmp.Diff(tt.notes, tr.Notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
			// Every URL must be one the shipped shoutrrr takes.
			for _, u := range tr.URLs {
				if _, err := router.New(nil, u); err != nil {
					t.Errorf("shoutrrr refuses %s: %v", u, err)
				}
			}
		})
	}
}

func TestLegacyTranslationRefusesWhatCannotWork(t *testing.T) {
	tests := []struct {
		name   string
		legacy Legacy
		want   string
	}{
		{"unknown type", Legacy{Types: []string{"pager"}}, `--notifications "pager": unknown type`},
		{"email without server", Legacy{Types: []string{"email"}, Email: LegacyEmail{From: "a@b", To: "c@d", Port: 25}}, "--notification-email-server (WATCHTOWER_NOTIFICATION_EMAIL_SERVER) is empty"},
		{"email with a bad port", Legacy{Types: []string{"email"}, Email: LegacyEmail{From: "a@b", To: "c@d", Server: "x", Port: 70000}}, "--notification-email-server-port 70000"},
		{"slack without hook", Legacy{Types: []string{"slack"}}, "--notification-slack-hook-url (WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL) is empty"},
		{"slack hook too short", Legacy{Types: []string{"slack"}, Slack: LegacySlack{HookURL: "https://hooks.slack.com/services/x"}}, "a Slack hook is https://hooks.slack.com/services/"},
		{"slack hook not a URL", Legacy{Types: []string{"slack"}, Slack: LegacySlack{HookURL: "hooks.slack.com/services/a/b/c"}}, "not an http(s) URL"},
		{"msteams without hook", Legacy{Types: []string{"msteams"}}, "--notification-msteams-hook (WATCHTOWER_NOTIFICATION_MSTEAMS_HOOK_URL) is empty"},
		{"msteams old form", Legacy{Types: []string{"msteams"}, Teams: LegacyTeams{HookURL: "https://outlook.office.com/webhook/a@b/IncomingWebhook/c/d"}}, "the older outlook.office.com ones no longer work"},
		{"gotify without token", Legacy{Types: []string{"gotify"}, Gotify: LegacyGotify{URL: "https://g"}}, "--notification-gotify-token (WATCHTOWER_NOTIFICATION_GOTIFY_TOKEN) is empty"},
		{"gotify without scheme", Legacy{Types: []string{"gotify"}, Gotify: LegacyGotify{URL: "gotify.lan", Token: "A"}}, `must start with "http://" or "https://"`},
	}
	for _, tt := range tests {
		_, err := tt.legacy.Translate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got error %v, want one saying %q", tt.name, err, tt.want)
		}
	}
}

package release

import (
	"testing"
	"time"
)

func TestNotesURL(t *testing.T) {
	for _, tc := range []struct {
		name          string
		source, url   string
		version, want string
	}{
		{name: "github", source: "https://github.com/cutover/cutover", version: "1.9.0", want: "https://github.com/cutover/cutover/releases/tag/1.9.0"},
		{name: "github with v", source: "https://github.com/traefik/traefik", version: "v3.1.2", want: "https://github.com/traefik/traefik/releases/tag/v3.1.2"},
		{name: "github .git", source: "https://github.com/owner/repo.git", version: "2.0", want: "https://github.com/owner/repo/releases/tag/2.0"},
		{name: "github path below the repository", source: "https://github.com/owner/repo/tree/main/docker", version: "2.0", want: "https://github.com/owner/repo/releases/tag/2.0"},
		{name: "github trailing slash", source: "https://github.com/owner/repo/", version: "2.0", want: "https://github.com/owner/repo/releases/tag/2.0"},
		{name: "github www and http", source: "http://www.GitHub.com/owner/repo", version: "2.0", want: "https://github.com/owner/repo/releases/tag/2.0"},
		{name: "github scp-like", source: "git@github.com:owner/repo.git", version: "2.0", want: "https://github.com/owner/repo/releases/tag/2.0"},
		{name: "github ssh", source: "ssh://git@github.com/owner/repo.git", version: "2.0", want: "https://github.com/owner/repo/releases/tag/2.0"},
		{name: "github git+https", source: "git+https://github.com/owner/repo.git", version: "2.0", want: "https://github.com/owner/repo/releases/tag/2.0"},
		{name: "github no version: the releases page", source: "https://github.com/owner/repo", want: "https://github.com/owner/repo/releases"},
		{name: "github version escaped", source: "https://github.com/owner/repo", version: "a/../b?c#d", want: "https://github.com/owner/repo/releases/tag/a%2F..%2Fb%3Fc%23d"},
		{name: "github version trimmed", source: " https://github.com/owner/repo ", version: " 1.0 ", want: "https://github.com/owner/repo/releases/tag/1.0"},
		{name: "github source wins over url", source: "https://github.com/owner/repo", url: "https://example.com", version: "1.0", want: "https://github.com/owner/repo/releases/tag/1.0"},
		{name: "github owner only: not a repository", source: "https://github.com/owner", url: "https://example.com/app", version: "1.0", want: "https://github.com/owner"},
		{name: "github relative path", source: "https://github.com/../etc", version: "1.0", want: "https://github.com/../etc"},
		{name: "not github: the source itself", source: "https://gitlab.com/owner/repo", version: "1.0", want: "https://gitlab.com/owner/repo"},
		{name: "github look-alike host", source: "https://github.com.example.com/owner/repo", version: "1.0", want: "https://github.com.example.com/owner/repo"},
		{name: "user info is refused", source: "https://github.com@example.com/owner/repo", url: "https://example.com/app", version: "1.0", want: "https://example.com/app"},
		{name: "url when no source", url: "https://nginx.org", version: "1.27", want: "https://nginx.org"},
		{name: "url when the source is not a web address", source: "ssh://git.example.com/repo", url: "https://example.com/app", want: "https://example.com/app"},
		{name: "spaces escaped", url: "https://example.com/a b", want: "https://example.com/a%20b"},
		{name: "javascript refused", source: "javascript:alert(1)", url: "JavaScript:alert(1)", want: ""},
		{name: "data refused", url: "data:text/html,<script>alert(1)</script>", want: ""},
		{name: "relative refused", source: "/owner/repo", url: "//example.com", want: ""},
		{name: "control character refused", source: "https://example.com/\x00", want: ""},
		{name: "nothing", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labels := map[string]string{}
			if tc.source != "" {
				labels[LabelSource] = tc.source
			}
			if tc.url != "" {
				labels[LabelURL] = tc.url
			}
			if got := NotesURL(labels, tc.version); got != tc.want {
				t.Errorf("NotesURL(source %q, url %q, version %q): got %q, want %q", tc.source, tc.url, tc.version, got, tc.want)
			}
		})
	}
	if got := NotesURL(nil, "1.0"); got != "" {
		t.Errorf("NotesURL(no labels): got %q, want \"\"", got)
	}
}

func TestImageVersion(t *testing.T) {
	for _, tc := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{LabelVersion: "1.9.0"}, "1.9.0"},
		{map[string]string{LabelVersion: " v2 \n"}, "v2"},
		{map[string]string{"version": "1.9.0"}, ""},
		{nil, ""},
	} {
		img := Image{Created: time.Now(), Labels: tc.labels}
		if got := img.Version(); got != tc.want {
			t.Errorf("Version() of labels %v: got %q, want %q", tc.labels, got, tc.want)
		}
	}
}

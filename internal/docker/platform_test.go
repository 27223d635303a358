package docker

import "testing"

func TestPlatformOf(t *testing.T) {
	for _, tc := range []struct{ os, arch, want string }{
		{"linux", "x86_64", "linux/amd64"},
		{"linux", "aarch64", "linux/arm64"},
		{"linux", "armv7l", "linux/arm/v7"},
		{"", "x86_64", "linux/amd64"},
		{"windows", "x86_64", "windows/amd64"},
		{"linux", "mips", ""},
	} {
		if got := platformOf(tc.os, tc.arch); got != tc.want {
			t.Errorf("platformOf(%q, %q) = %q, want %q", tc.os, tc.arch, got, tc.want)
		}
	}
}

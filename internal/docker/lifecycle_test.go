package docker

import (
	"testing"
	"time"
)

func TestSameSignal(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"SIGTERM", "", true},
		{"TERM", "SIGTERM", true},
		{"15", "", true},
		{"sigint", "SIGINT", true},
		{"SIGQUIT", "SIGTERM", false},
		{"SIGINT", "", false},
	} {
		if got := sameSignal(tc.a, tc.b); got != tc.want {
			t.Errorf("sameSignal(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{0, 0}, {time.Millisecond, 1}, {time.Second, 1}, {1500 * time.Millisecond, 2}, {10 * time.Second, 10},
	} {
		if got := seconds(tc.d); got == nil || *got != tc.want {
			t.Errorf("seconds(%v) = %v, want %d", tc.d, got, tc.want)
		}
	}
	if got := seconds(-1); got != nil {
		t.Errorf("seconds(-1) = %d, want nil", *got)
	}
}

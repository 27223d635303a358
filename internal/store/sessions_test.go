package store

import (
	"path/filepath"
	"testing"
	"time"
)

func TestSessionsSurviveReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.AddSession("a", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSession("b", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSession("b"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		id   string
		at   time.Time
		want bool
	}{
		{"a", now, true},
		{"a", now.Add(time.Hour), false},
		{"b", now, false},
		{"never", now, false},
	}
	for _, tt := range tests {
		if got := s.SessionActive(tt.id, tt.at); got != tt.want {
			t.Errorf("SessionActive(%q, %s): got %v, want %v", tt.id, tt.at.Sub(now), got, tt.want)
		}
	}
	if err := s.RemoveSession("never"); err != nil {
		t.Errorf("RemoveSession of an unknown id: %v, want nil", err)
	}
}

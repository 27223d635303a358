package ratelimit

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		header  http.Header
		want    Budget
		wantErr bool
	}{
		{
			name: "anonymous",
			header: http.Header{
				"Ratelimit-Limit":         {"100;w=21600"},
				"Ratelimit-Remaining":     {"76;w=21600"},
				"Docker-Ratelimit-Source": {"203.0.113.7"},
			},
			want: Budget{Known: true, Limit: 100, Remaining: 76, Window: 6 * time.Hour, Source: "203.0.113.7"},
		},
		{
			name:   "no window",
			header: http.Header{"Ratelimit-Limit": {"200"}, "Ratelimit-Remaining": {"0"}},
			want:   Budget{Known: true, Limit: 200, Remaining: 0},
		},
		{name: "unlimited account", header: http.Header{}, wantErr: true},
		{name: "garbage", header: http.Header{"Ratelimit-Limit": {"many"}, "Ratelimit-Remaining": {"1"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(tt.header)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parse: got error %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("budget (-want +got):\n%s", diff)
			}
		})
	}
}

package testenv

import (
	"slices"
	"strings"
	"testing"
)

func TestRenderDockerfile(t *testing.T) {
	tests := []struct {
		name string
		spec ImageSpec
		want []string // lines the Dockerfile must contain
	}{
		{
			name: "minimal",
			spec: ImageSpec{},
			want: []string{"FROM scratch", "COPY app /app", `ENTRYPOINT ["/app"]`},
		},
		{
			name: "default health interval",
			spec: ImageSpec{Healthcheck: true},
			want: []string{`HEALTHCHECK --interval=30s --timeout=5s CMD ["/app","health"]`},
		},
		{
			name: "interval implies healthcheck",
			spec: ImageSpec{HealthInterval: "1s"},
			want: []string{`HEALTHCHECK --interval=1s --timeout=5s CMD ["/app","health"]`},
		},
		{
			name: "env and labels are quoted against expansion",
			spec: ImageSpec{
				Env:    []string{`A=x "y" $HOME \z`},
				Labels: map[string]string{"b.key": "two words", "a.key": "1"},
			},
			want: []string{`ENV A="x \"y\" \$HOME \\z"`, `LABEL "a.key"="1"`, `LABEL "b.key"="two words"`},
		},
		{
			name: "exec forms and plain settings",
			spec: ImageSpec{
				Cmd: []string{"serve", "--x"}, Volumes: []string{"/data"}, Expose: []string{"8000", "9000/udp"},
				WorkDir: "/w", User: "1000:1000", StopSignal: "SIGUSR1", ExtraLayers: 2,
			},
			want: []string{
				`CMD ["serve","--x"]`, `VOLUME ["/data"]`, "EXPOSE 8000 9000/udp", "WORKDIR /w",
				"USER 1000:1000", "STOPSIGNAL SIGUSR1", "COPY layer-1.bin /layers/1.bin", "COPY layer-2.bin /layers/2.bin",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderDockerfile(tt.spec)
			if err != nil {
				t.Fatalf("renderDockerfile: %v", err)
			}
			lines := strings.Split(got, "\n")
			for _, w := range tt.want {
				if !slices.Contains(lines, w) {
					t.Errorf("Dockerfile:\n%s\nwant a line %s", got, w)
				}
			}
			if strings.Contains(got, "HEALTHCHECK") && !tt.spec.Healthcheck && tt.spec.HealthInterval == "" {
				t.Errorf("Dockerfile:\n%s\nwant no HEALTHCHECK", got)
			}
		})
	}
}

func TestRenderDockerfileRejects(t *testing.T) {
	for _, spec := range []ImageSpec{
		{Env: []string{"NOVALUE"}},
		{Env: []string{"=x"}},
		{Env: []string{"A=two\nlines"}},
		{Labels: map[string]string{"k": "two\nlines"}},
	} {
		if got, err := renderDockerfile(spec); err == nil {
			t.Errorf("renderDockerfile(%+v): got\n%s\nwant an error", spec, got)
		}
	}
}

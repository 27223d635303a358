package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cutover/cutover/internal/engine"
	"github.com/cutover/cutover/internal/policy"
)

const (
	svcDigestV1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	svcDigestV2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func serviceReport() engine.Report {
	return engine.Report{Groups: []engine.Group{{
		Image: "127.0.0.1:5000/app:latest", RemoteDigest: svcDigestV2, Status: engine.StatusPartial,
		Containers: []engine.ContainerStatus{
			{Container: engine.Container{ID: "aaaaaaaaaaaaaaaaaaaa", Name: "app"}, LocalDigest: svcDigestV2, Status: engine.StatusUpToDate, AutoUpdate: true,
				Policy: policy.Digest, CurrentVersion: "latest"},
			{Container: engine.Container{Kind: engine.KindService, ID: "kd9swslxk9rm4sms64f9okyyz", Name: "web", Service: &engine.ServiceInfo{Mode: "replicated", Running: 1, Desired: 2}},
				LocalDigest: svcDigestV1, Status: engine.StatusOutdated, AutoUpdate: true, Policy: policy.Digest, CurrentVersion: "latest",
				Offer: &engine.Offer{Reference: "127.0.0.1:5000/app:latest", Digest: svcDigestV2, Version: "latest"}},
		},
	}}}
}

func TestCheckShowsServices(t *testing.T) {
	var table strings.Builder
	writeReportTable(&table, serviceReport(), false)
	for _, want := range []string{
		"  app                       aaaaaaaaaaaa              local sha256:2222222222  uptodate  latest\n",
		"  web (service, 1/2 tasks)  kd9swslxk9rm              local sha256:1111111111  outdated  latest -> sha256:2222222222\n",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	got := reportJSON(serviceReport())[0].Containers
	want := []containerJSON{
		{ContainerID: "aaaaaaaaaaaa", ContainerName: "app", Kind: "container", LocalDigest: "sha256:2222222222", Status: "uptodate", AutoUpdate: true,
			versionJSON: versionJSON{Policy: "digest", CurrentVersion: "latest"}},
		{ContainerID: "kd9swslxk9rm", ContainerName: "web", Kind: "service", LocalDigest: "sha256:1111111111", Status: "outdated", AutoUpdate: true, Tasks: "1/2",
			versionJSON: versionJSON{Policy: "digest", CurrentVersion: "latest", OfferedVersion: "latest", OfferedReference: "127.0.0.1:5000/app:latest", OfferedDigest: svcDigestV2}},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(containerJSON{})); diff != "" {
		t.Errorf("check --json rows (-want +got):\n%s", diff)
	}
}

func TestUpdateProgressOfAService(t *testing.T) {
	for _, tc := range []struct {
		e    engine.Event
		want string
	}{
		{engine.Event{Container: "web", Phase: engine.PhaseRecreating, Message: "asking Swarm to update the service to app:latest@sha256:22"}, "web: asking Swarm to update the service to app:latest@sha256:22"},
		{engine.Event{Container: "web", Phase: engine.PhaseHealthCheck, Message: "following Swarm's rolling update"}, "web: following Swarm's rolling update"},
		{engine.Event{Container: "web", Phase: engine.PhaseRolledBack, Err: errors.New("Swarm rolled the update back: rollback completed")}, "web: rolled back: Swarm rolled the update back: rollback completed"},
		{engine.Event{Container: "app", Phase: engine.PhaseRecreating, Image: "app:latest"}, "app: recreating on app:latest"},
	} {
		if got := eventLine(tc.e); got != tc.want {
			t.Errorf("eventLine(%+v) = %q, want %q", tc.e, got, tc.want)
		}
	}
}

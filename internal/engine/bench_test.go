package engine

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The engine's own cost, over the in-memory runtime and registry: what is
// left once the Docker engine and the registry answer instantly. make bench
// measures the real thing.

// benchFleet is a fake host with n containers over images images, each at
// v1 locally with v2 in the registry.
func benchFleet(b *testing.B, n, images int) (*fakeRuntime, *fakeRegistry, *Engine) {
	b.Helper()
	rt := newFakeRuntime()
	reg := &fakeRegistry{digests: map[string]string{}}
	for i := range images {
		ref := fmt.Sprintf("127.0.0.1:5000/bench/app-%02d:latest", i)
		v1 := fmt.Sprintf("sha256:%064d", 2*i+1)
		v2 := fmt.Sprintf("sha256:%064d", 2*i+2)
		rt.addImage(ref, fmt.Sprintf("sha256:img%02d-1", i), v1)
		rt.serves[ref] = Image{ID: fmt.Sprintf("sha256:img%02d-2", i), RepoDigests: []string{repositoryOf(ref) + "@" + v2}}
		reg.digests[ref] = v2
	}
	for j := range n {
		i := j % images
		rt.addContainer(Container{
			ID:      fmt.Sprintf("%064x", j+1),
			Name:    fmt.Sprintf("app-%03d", j),
			Image:   fmt.Sprintf("127.0.0.1:5000/bench/app-%02d", i),
			ImageID: fmt.Sprintf("sha256:img%02d-1", i),
			Labels:  map[string]string{"com.example.tier": "web"},
		})
	}
	opts := Options{HealthGrace: time.Nanosecond, ProbeInterval: time.Millisecond, HealthTimeout: time.Second}
	return rt, reg, New(rt, reg, nil, nil, opts)
}

// BenchmarkCheck100 checks 100 containers over 25 images and reports the
// registry requests one check makes.
func BenchmarkCheck100(b *testing.B) {
	_, reg, e := benchFleet(b, 100, 25)
	ctx := context.Background()
	checks := 0
	for b.Loop() {
		report, err := e.Check(ctx, CheckOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(report.Groups) != 25 {
			b.Fatalf("got %d groups, want 25", len(report.Groups))
		}
		checks++
	}
	total := 0
	for _, n := range reg.requests {
		total += n
	}
	b.ReportMetric(float64(total)/float64(checks), "registry-requests/op")
}

// BenchmarkPlan100 turns a report of 100 outdated containers into steps.
func BenchmarkPlan100(b *testing.B) {
	_, _, e := benchFleet(b, 100, 25)
	report, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if p := e.Plan(report, PlanOptions{}); len(p.Steps) != 100 {
			b.Fatalf("got %d steps, want 100", len(p.Steps))
		}
	}
}

// BenchmarkApply100 updates 100 containers over 25 images: 25 pulls and 100
// swaps with their health gates, on a runtime that answers at once.
func BenchmarkApply100(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		_, _, e := benchFleet(b, 100, 25)
		report, err := e.Check(ctx, CheckOptions{})
		if err != nil {
			b.Fatal(err)
		}
		plan := e.Plan(report, PlanOptions{})
		b.StartTimer()
		sum := e.Apply(ctx, plan, ApplyOptions{}, nil)
		if sum.Updated != 100 {
			b.Fatalf("got %d updated (%d failed), want 100", sum.Updated, sum.Failed)
		}
	}
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A deploy by digest pulls and runs exactly that digest, with or without a
// tag beside it, as autodok's did.
func TestDeployByDigest(t *testing.T) {
	for _, image := range []string{"127.0.0.1:5000/app@" + digestV2, "127.0.0.1:5000/app:2.0@" + digestV2} {
		t.Run(image, func(t *testing.T) {
			rt, _, e := world(t)
			rt.serves[image] = Image{ID: "sha256:img2", RepoDigests: []string{"127.0.0.1:5000/app@" + digestV2}}
			rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
			out, err := e.Deploy(context.Background(), DeployRequest{Container: "app", Image: image}, nil)
			if err != nil || out.Result != ResultUpdated {
				t.Fatalf("deploy %s: got %s %v (%v), want updated", image, out.Result, err, out.Err)
			}
			if out.NewDigest != digestV2 || out.OldDigest != digestV1 {
				t.Errorf("deploy %s: digests %s -> %s, want %s -> %s", image, out.OldDigest, out.NewDigest, digestV1, digestV2)
			}
			calls := rt.callLog()
			if !slices.Contains(calls, "pull "+image) {
				t.Errorf("engine calls %q: want a pull of %s", calls, image)
			}
			if c := rt.byName("app"); c == nil || c.Image != image || c.ImageID != "sha256:img2" {
				t.Errorf("container app after the deploy: got %+v, want it on %s (sha256:img2)", c, image)
			}
		})
	}
}

// A container pinned to a digest without a tag is not looked up by a
// check: there is no tag to follow, and the reason says so.
func TestCheckLeavesTaglessPinnedContainersUnknown(t *testing.T) {
	rt, reg, e := world(t)
	pinned := "127.0.0.1:5000/app@" + digestV1
	rt.addImage(pinned, "sha256:img1", digestV1)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: pinned, ImageID: "sha256:img1"})
	rep, err := e.Check(context.Background(), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != 1 || len(rep.Groups[0].Containers) != 1 {
		t.Fatalf("check: got %+v, want one group with app", rep.Groups)
	}
	cs := rep.Groups[0].Containers[0]
	if cs.Status != StatusUnknown || !strings.Contains(cs.Reason, "is pinned to a digest with no tag: there is no newer image to look for") || cs.AutoUpdate {
		t.Errorf("app pinned to %s: got status %s, reason %q, auto-update %v; want unknown, the pinned reason, off", digestV1, cs.Status, cs.Reason, cs.AutoUpdate)
	}
	if len(reg.requests) != 0 {
		t.Errorf("registry requests: got %v, want none for a pinned container", reg.requests)
	}
}

// The admission hook sees the container as inspected and the parsed image,
// and its refusal stops the deploy before anything is pulled.
func TestDeployAdmission(t *testing.T) {
	rt, _, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "app", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", Labels: map[string]string{"team": "a"}})
	var seen []string
	refuse := func(c Container, ref Reference) error {
		seen = append(seen, c.Name+" "+c.Labels["team"]+" "+ref.Repository)
		return fmt.Errorf("container '%s' is not for deploys: %w", c.Name, ErrRefused)
	}
	out, err := e.Deploy(context.Background(), DeployRequest{Container: "app", Image: "127.0.0.1:5000/app:latest", Admit: refuse}, nil)
	if !errors.Is(err, ErrRefused) || err.Error() != "container 'app' is not for deploys: refused" || out.Result != "" {
		t.Errorf("refused deploy: got %+v, %v; want ErrRefused and no outcome", out, err)
	}
	if want := []string{"app a 127.0.0.1:5000/app"}; !slices.Equal(seen, want) {
		t.Errorf("admission asked about %q, want %q", seen, want)
	}
	for _, call := range rt.callLog() {
		if !strings.HasPrefix(call, "inspect") {
			t.Errorf("engine call %q after a refusal, want none but inspections", call)
		}
	}
	admit := func(Container, Reference) error { return nil }
	if out, err := e.Deploy(context.Background(), DeployRequest{Container: "app", Image: "127.0.0.1:5000/app:latest", Admit: admit}, nil); err != nil || out.Result != ResultUpdated {
		t.Errorf("admitted deploy: got %s %v, want updated", out.Result, err)
	}
}

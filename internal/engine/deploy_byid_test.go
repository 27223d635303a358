package engine

import (
	"context"
	"testing"
)

// A deploy that names a container by an id which, mid-swap, belongs to its
// copy renamed aside, is a deploy to the container under its own name,
// never to the copy.
func TestDeployByTheIdOfACopyRenamedAside(t *testing.T) {
	rt, _, e := world(t)
	rt.addContainer(Container{ID: "a000000000000000", Name: "web" + RetiredSuffix, Image: "127.0.0.1:5000/app", ImageID: "sha256:img1", State: StateExited})
	rt.addContainer(Container{ID: "b000000000000000", Name: "web", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	o, err := e.Deploy(context.Background(), DeployRequest{Container: "a000000000000000", Image: "127.0.0.1:5000/app"}, nil)
	if err != nil || o.Container != "web" || o.Result != ResultUpdated {
		t.Fatalf("deploy by the retired copy's id: got %+v %v, want web updated", o, err)
	}
	if c := named(t, rt, "web"); c.ImageID != "sha256:img2" || !c.Running() {
		t.Errorf("web: got %s %s, want running the deployed image", c.ImageID, c.State)
	}
	for _, c := range rt.snapshot() {
		if c.Name != "web" {
			t.Errorf("left behind: %s (%s)", c.Name, c.State)
		}
	}
}

// Options.Finished hears how a deploy ended, as it hears a pass's updates.
func TestFinishedHearsEveryUpdate(t *testing.T) {
	rt, reg, _ := world(t)
	var heard []string
	opts := fastOptions()
	opts.Finished = func(o Outcome) { heard = append(heard, o.Container+" "+string(o.Result)) }
	e := New(rt, reg, nil, nil, opts)
	rt.addContainer(Container{ID: "a000000000000000", Name: "web", Image: "127.0.0.1:5000/app", ImageID: "sha256:img1"})
	if _, err := e.Deploy(context.Background(), DeployRequest{Container: "web", Image: "127.0.0.1:5000/app"}, nil); err != nil {
		t.Fatal(err)
	}
	if len(heard) != 1 || heard[0] != "web updated" {
		t.Errorf("Finished heard %v, want [web updated]", heard)
	}
}

package engine

import (
	"context"
	"testing"
)

// The version a check found is the one a swap brings, even once another
// container's rollback pointed the tag back and the engine (the containerd
// store) no longer names that version at all, but by its digest.
func TestPlannedImageOnceItsTagMovedBack(t *testing.T) {
	rt, reg, _ := world(t)
	e := New(rt, reg, nil, nil, fastOptions())
	ref, err := ParseReference("127.0.0.1:5000/app:latest")
	if err != nil {
		t.Fatal(err)
	}
	rt.images[digestV2] = Image{ID: digestV2}
	img, err := e.plannedImage(context.Background(), Step{Image: ref.Normal, Ref: ref, ToDigest: digestV2})
	if err != nil || img.ID != digestV2 {
		t.Fatalf("plannedImage: got %+v, %v; want the image whose id is %s", img, err, digestV2)
	}
	// Without it, the tag's image it is.
	img, err = e.plannedImage(context.Background(), Step{Image: ref.Normal, Ref: ref, ToDigest: "sha256:" + "9999999999999999999999999999999999999999999999999999999999999999"})
	if err != nil || img.ID != "sha256:img1" {
		t.Fatalf("plannedImage of a digest the engine lacks: got %+v, %v; want the tag's image", img, err)
	}
}

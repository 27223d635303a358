package docker

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestComposeImageLabelNamesTheNewImage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		labels     map[string]string
		want       map[string]string
		newImageID string
	}{
		{
			name:       "made by Compose v2",
			labels:     map[string]string{"com.docker.compose.image": "sha256:old", "com.docker.compose.config-hash": "abc", "user": "x"},
			newImageID: "sha256:new",
			want:       map[string]string{"com.docker.compose.image": "sha256:new", "com.docker.compose.config-hash": "abc", "user": "x"},
		},
		{
			name:       "made by Compose v1, which keeps no image label",
			labels:     map[string]string{"com.docker.compose.config-hash": "abc"},
			newImageID: "sha256:new",
			want:       map[string]string{"com.docker.compose.config-hash": "abc"},
		},
		{name: "not made by Compose", labels: map[string]string{}, newImageID: "sha256:new", want: map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, withComposeImage(tc.labels, tc.newImageID)); diff != "" {
				t.Errorf("labels of the replacement (-want +got):\n%s", diff)
			}
		})
	}
}

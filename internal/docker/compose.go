package docker

// composeImageLabel is the label Compose v2 compares, at every "compose up",
// with the id of the local image its service's reference names: a container
// whose label differs is recreated.
const composeImageLabel = "com.docker.compose.image"

// withComposeImage makes the Compose labels of a replacement describe it:
// the label Compose v2 keeps the image id in names the new image, so that
// the next "compose up" finds the container current. Compose v1 keeps no
// such label; it hashes the image id into com.docker.compose.config-hash
// with the service's whole definition, which cutover cannot recompute (see
// docs/compose.md). A container Compose did not make gets no label.
func withComposeImage(labels map[string]string, imageID string) map[string]string {
	if _, ok := labels[composeImageLabel]; ok && imageID != "" {
		labels[composeImageLabel] = imageID
	}
	return labels
}

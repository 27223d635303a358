// Package release tells what a version on offer is: its version, when it
// was built and where to read what changed, from the image's own OCI
// labels. It does no I/O: the registry adapter fetches the image's
// configuration, and the link is built without asking anyone.
package release

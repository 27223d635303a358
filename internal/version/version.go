// Package version says which build of cutover this is. The build stamps it
// with -ldflags -X (see the Makefile); a plain go build says "dev".
package version

import "runtime"

// Set at link time only, never at run time: -X can only fill package-level
// string variables.
var (
	// Version is the release, e.g. "1.4.0", or "dev" for an unreleased build.
	Version = "dev"
	// Commit is the git revision the build was made from, with "-dirty"
	// when the working tree had changes; empty when unknown.
	Commit = ""
)

// Go returns the Go release and platform the binary was built for,
// e.g. "go1.26.8 linux/amd64".
func Go() string {
	return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}

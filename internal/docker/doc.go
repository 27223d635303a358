// Package docker is the Docker Engine adapter of the update engine: it
// implements engine.Runtime over the Docker Engine API.
//
// It negotiates the API version with the engine it talks to, so one binary
// serves engines from API 1.40 (Docker 19.03) to the newest. The SDK's types
// stay inside this package; callers see only the engine package's types.
//
// The heart of the package is CreateReplacement, which rebuilds a
// container's create request from its inspect data, keeping everything the
// user set and dropping what the old image or the engine filled in by
// default, so that the new image's defaults apply.
package docker

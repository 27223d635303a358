// Package registry asks image registries what a tag points to now, and finds
// the credentials the Docker CLI would use for them.
package registry

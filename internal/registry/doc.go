// Package registry asks image registries what a tag points to now, which
// tags a repository has and what an image's configuration says (its build
// time and labels), and finds the credentials the Docker CLI would use for
// them.
package registry

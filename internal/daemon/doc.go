// Package daemon runs update passes: on a schedule, and on demand from the
// HTTP surfaces, never two at once. It decides which containers are watched
// and which of them a periodic pass may update.
package daemon

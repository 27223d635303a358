// Package httpapi serves every HTTP surface of cutover on one listener: the
// Watchtower-compatible API, the deploy webhook, the dashboard API and
// health. Handlers decode, call the engine or daemon, and encode; errors map
// to status codes in one place.
package httpapi

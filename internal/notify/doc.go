// Package notify sends messages about passes through shoutrrr URLs, with
// Watchtower's template data, built-in templates and legacy per-service
// settings, so a Watchtower configuration notifies as it did.
package notify

// Package notify sends a report after each pass that changed or found
// something, through shoutrrr URLs, with Watchtower's template data so
// existing templates keep working.
package notify

// Package engine decides which containers run stale images and swaps them for
// containers on the new image with the same settings: check, plan, apply.
//
// It speaks only in its own types and declares the few interfaces it needs
// (Runtime, Registry, History, Sink); adapters elsewhere implement them.
package engine

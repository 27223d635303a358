// Package cli is cutover's command line: it parses flags, wires the engine to
// its adapters once, and renders what the engine reports.
package cli

// Package bench measures cutover against the physical floor on a real Docker
// engine and a local registry, and prints the results as markdown tables.
//
// For each fleet size it pushes test images through a counting proxy, starts
// the containers, measures the downtime of a plain engine restart (the
// floor), pushes a new version of every image, and then times cutover's
// check and update while a prober watches every container's published port.
// Everything it creates carries the label cutover.bench=1 and is removed at
// the end, and at the start when a killed run left some behind; nothing else
// on the engine is touched.
package bench

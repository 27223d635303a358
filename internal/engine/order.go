package engine

import (
	"slices"
	"strings"
)

// dependencies returns the names of the containers c needs running first,
// resolved against all (ids and compose service names turned into names).
func dependencies(c Container, all []Container) []string {
	return resolveDependencies(c, all, composeDependencies(c))
}

// restartDependencies returns the names of the containers whose update
// restarts c: those it needs, but of its compose depends_on only the
// services marked "restart: true", as Compose itself restarts.
func restartDependencies(c Container, all []Container) []string {
	return resolveDependencies(c, all, composeRestarts(c))
}

// resolveDependencies resolves c's links, network container and depends-on
// label, and the compose services given, against all.
func resolveDependencies(c Container, all []Container, services []string) []string {
	var names []string
	add := func(ref string) {
		ref = strings.TrimPrefix(ref, "/")
		for _, o := range all {
			if o.Name == ref || o.ID == ref || (len(ref) >= 12 && strings.HasPrefix(o.ID, ref)) {
				if o.Name != c.Name && !slices.Contains(names, o.Name) {
					names = append(names, o.Name)
				}
				return
			}
		}
	}
	for _, l := range c.Links {
		add(l)
	}
	if c.NetworkContainer != "" {
		add(c.NetworkContainer)
	}
	for _, n := range labelDependencies(c) {
		add(n)
	}
	project := c.Labels[ComposeProjectLabel]
	for _, svc := range services {
		for _, o := range all {
			if o.Labels[ComposeProjectLabel] == project && o.Labels[ComposeServiceLabel] == svc {
				add(o.Name)
			}
		}
	}
	return names
}

// batches splits steps into independent batches: steps in one batch are
// related through dependencies and run one after another, dependencies first;
// different batches share nothing and may run at the same time.
func batches(steps []Step, all []Container) [][]Step {
	index := map[string]int{}
	for i, s := range steps {
		index[s.Container.Name] = i
	}
	parent := make([]int, len(steps))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	deps := make([][]int, len(steps))
	for i, s := range steps {
		for _, d := range dependencies(s.Container, all) {
			if j, ok := index[d]; ok {
				deps[i] = append(deps[i], j)
				parent[find(i)] = find(j)
			}
		}
	}

	// Depth-first order puts each step after the steps it depends on; a cycle
	// is broken where it is found rather than refused.
	state := make([]int, len(steps))
	var ordered []int
	var visit func(int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		for _, j := range deps[i] {
			visit(j)
		}
		state[i] = 2
		ordered = append(ordered, i)
	}
	for i := range steps {
		visit(i)
	}

	groups := map[int][]Step{}
	var roots []int
	for _, i := range ordered {
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], steps[i])
	}
	out := make([][]Step, 0, len(roots))
	for _, r := range roots {
		out = append(out, groups[r])
	}
	return out
}

// dependents returns the containers, outside the swapped set, that need a
// swapped container and so must restart after it.
func dependents(swapped map[string]bool, all []Container) []Container {
	var out []Container
	for _, c := range all {
		if swapped[c.Name] || !c.Running() {
			continue
		}
		for _, d := range restartDependencies(c, all) {
			if swapped[d] {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

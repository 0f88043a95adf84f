package workflow

// findCycle looks for a dependency cycle among steps, following only the
// dependencies in ids (new steps by id; steps of the run never depend on new
// ones). It returns the step and the index of its dependency that closes the
// first cycle found, and the cycle's path from its first step back to it,
// or a nil path. The search is iterative, so a chain of decision.MaxSteps steps does
// not grow the stack, and visits each step and dependency once.
func findCycle(steps []Step, ids map[string]int) (step, dep int, path []string) {
	const (
		unvisited = iota
		onPath
		done
	)
	color := make([]uint8, len(steps))
	var stack []frame
	for root := range steps {
		if color[root] != unvisited {
			continue
		}
		color[root] = onPath
		stack = append(stack[:0], frame{node: root})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			deps := steps[top.node].DependsOn
			if top.next == len(deps) {
				color[top.node] = done
				stack = stack[:len(stack)-1]
				continue
			}
			j := top.next
			top.next++
			d, ok := ids[deps[j]]
			if !ok {
				continue
			}
			switch color[d] {
			case unvisited:
				color[d] = onPath
				stack = append(stack, frame{node: d})
			case onPath:
				return top.node, j, cyclePath(steps, stack, d)
			}
		}
	}
	return 0, 0, nil
}

// frame is a step on the search's path and its next dependency to follow.
type frame struct{ node, next int }

// cyclePath is the path on the stack from step d to the top, then d again.
func cyclePath(steps []Step, stack []frame, d int) []string {
	k := len(stack) - 1
	for stack[k].node != d {
		k--
	}
	path := make([]string, 0, len(stack)-k+1)
	for _, f := range stack[k:] {
		path = append(path, steps[f.node].ID)
	}
	return append(path, steps[d].ID)
}

package replay

import (
	"context"
	"fmt"

	"hive/events"
)

// Node is one node of a causal tree: a command (Command set, Event nil),
// which has no event of its own, or an event it caused, directly or
// through other events.
type Node struct {
	Command  string    `json:"command,omitempty"`
	Event    *Decision `json:"event,omitempty"`
	Children []*Node   `json:"children"`
}

// CausalTree returns the events of one correlation as trees: each event
// under the event its causation id names, and an event caused by a command
// (whose id is no event's) under that command. Roots are in the order of
// their first event, children in log order.
func (r *Replayer) CausalTree(ctx context.Context, correlationID string) ([]*Node, error) {
	var all []*Node
	byID := map[string]*Node{}
	err := eachAll(ctx, r.src, func(env *events.Envelope) error {
		if env.CorrelationID != correlationID {
			return nil
		}
		msg, err := events.Decode(env)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		d := decide(env, msg)
		n := &Node{Event: &d, Children: []*Node{}}
		all = append(all, n)
		byID[d.EventID] = n
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: no event of correlation %q", ErrNotFound, correlationID)
	}
	return link(all, byID), nil
}

// link hangs every node under its cause and returns the roots.
func link(all []*Node, byID map[string]*Node) []*Node {
	var roots []*Node
	commands := map[string]*Node{}
	for _, n := range all {
		cause := n.Event.CausationID
		if parent, ok := byID[cause]; ok && parent != n {
			parent.Children = append(parent.Children, n)
			continue
		}
		cmd, ok := commands[cause]
		if !ok {
			cmd = &Node{Command: cause, Children: []*Node{}}
			commands[cause] = cmd
			roots = append(roots, cmd)
		}
		cmd.Children = append(cmd.Children, n)
	}
	return roots
}

package actors

import "fmt"

// Ref addresses one entity by kind and id. It is all a caller needs to reach
// the entity, wherever its actor runs: the runtime turns it into a local
// child of the kind's supervisor today, and into a cluster grain identity
// (kind, identity) when entities spread across nodes.
type Ref struct {
	Kind string
	ID   string
}

// Stream is the name of the entity's event stream, "<kind>-<id>".
func (r Ref) Stream() string { return r.Kind + "-" + r.ID }

// String implements fmt.Stringer.
func (r Ref) String() string { return fmt.Sprintf("%s/%s", r.Kind, r.ID) }

package definition

import "hive/actors"

// Commands are the commands a workflow definition decides (see Decide), one value of
// each, for the runtime's metrics (actors.Kind.Commands).
func Commands() []actors.Body {
	return []actors.Body{Save{}}
}

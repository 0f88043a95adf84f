package token

import "hive/actors"

// Commands are the commands a token decides (see Decide), one value of
// each, for the runtime's metrics (actors.Kind.Commands).
func Commands() []actors.Body {
	return []actors.Body{Create{}, Revoke{}}
}

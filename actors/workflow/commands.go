package workflow

import "hive/actors"

// Commands are the commands a workflow run decides (see Decide), one value of
// each, for the runtime's metrics (actors.Kind.Commands).
func Commands() []actors.Body {
	return []actors.Body{Start{}, Approve{}, Reject{}, Tick{}, RecordAssignment{}, CompleteStep{}, FailStep{}, Pause{}, Resume{}, Cancel{},
		RetryStep{}, RaiseBudget{}}
}

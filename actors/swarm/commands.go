package swarm

import "hive/actors"

// Commands are the commands a swarm decides (see Decide), one value of
// each, for the runtime's metrics (actors.Kind.Commands).
func Commands() []actors.Body {
	return []actors.Body{Create{}, AddMember{}, RemoveMember{}, MemberLost{}, MemberRecovered{}, MemberDraining{}, SubmitTask{}, CompleteTask{}, FailTask{},
		CancelRunTasks{}, PauseRun{}, ResumeRun{}, RaiseBudget{}, SetRunBudget{}, Tick{}, Propose{}, Vote{},
		UpdateSettings{}, Dissolve{}}
}

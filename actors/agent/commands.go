package agent

import "hive/actors"

// Commands are the commands an agent decides (see Decide), one value of
// each, for the runtime's metrics (actors.Kind.Commands).
func Commands() []actors.Body {
	return []actors.Body{Register{}, Heartbeat{}, CheckLiveness{}, Drain{}, Deregister{}, JoinSwarm{}, LeaveSwarm{}, StartTask{}, FinishTask{}, ReportProgress{}}
}

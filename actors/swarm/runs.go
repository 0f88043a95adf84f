package swarm

import (
	"time"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// CancelRunTasks cancels every unfinished task of a workflow run: queued,
// waiting for a retry, or assigned (its agent is named, to be told to
// stop). A run without unfinished tasks decides nothing.
type CancelRunTasks struct {
	RunID, Reason string
	At            time.Time
}

// CommandName implements the runtime's command naming.
func (CancelRunTasks) CommandName() string { return "CancelRunTasks" }

// PauseRun holds back the queued tasks of a workflow run; its assigned
// tasks finish. At is optional.
type PauseRun struct {
	RunID string
	At    time.Time
}

// CommandName implements the runtime's command naming.
func (PauseRun) CommandName() string { return "PauseRunTasks" }

// ResumeRun lets the queued tasks of a paused run be assigned again. At is
// when; if zero, the assignments it makes are dated (and their deadlines
// set) by the time of the swarm's latest event.
type ResumeRun struct {
	RunID string
	At    time.Time
}

// CommandName implements the runtime's command naming.
func (ResumeRun) CommandName() string { return "ResumeRunTasks" }

func checkRun(runID string, at time.Time, needAt bool) decision.Fields {
	var f decision.Fields
	if runID == "" {
		f.Add("run_id", "is required")
	}
	f.Text("run_id", runID, decision.MaxKeyLength, false)
	if needAt {
		checkAt(&f, "at", at)
	}
	return f
}

func (s *State) cancelRunTasks(c CancelRunTasks) error {
	f := checkRun(c.RunID, c.At, true)
	checkReason(&f, c.Reason)
	if err := f.Err(); err != nil {
		return err
	}
	if err := s.created(); err != nil {
		return err
	}
	seqs := s.taskSeqs(func(t *task) bool { return t.runID == c.RunID })
	for _, seq := range seqs {
		t, _ := s.tasks.get(seq)
		s.emit(&hivev1.TaskCancelled{
			SwarmId: s.id, TaskId: TaskID(s.id, seq), AgentId: t.agent, RunId: t.runID, StepId: t.stepID, Key: t.key,
			Attempt: int32(t.attempt), Reason: c.Reason, AtUnixNano: nanos(c.At),
		})
	}
	if len(seqs) > 0 {
		s.assign(c.At)
	}
	return nil
}

func (s *State) pauseRun(c PauseRun) error {
	if err := checkRun(c.RunID, c.At, false).Err(); err != nil {
		return err
	}
	if err := s.created(); err != nil || s.paused.has(c.RunID) {
		return err
	}
	s.emit(&hivev1.SwarmRunPaused{SwarmId: s.id, RunId: c.RunID, AtUnixNano: nanos(c.At)})
	return nil
}

func (s *State) resumeRun(c ResumeRun) error {
	if err := checkRun(c.RunID, c.At, false).Err(); err != nil {
		return err
	}
	if err := s.created(); err != nil || !s.paused.has(c.RunID) {
		return err
	}
	at := c.At
	if at.IsZero() {
		at = s.clock
	}
	s.emit(&hivev1.SwarmRunResumed{SwarmId: s.id, RunId: c.RunID, AtUnixNano: nanos(c.At)})
	s.assign(at)
	return nil
}

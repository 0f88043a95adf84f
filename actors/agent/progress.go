package agent

import (
	"fmt"
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// ErrTaskNotInFlight: the task is not one of the agent's assignments in
// flight (it finished, went to another agent, or never was the agent's).
var ErrTaskNotInFlight = fmt.Errorf("%w: task not in flight for the agent", decision.ErrConflict)

// ReportProgress records what the agent says about a task it works on. It
// decides nothing: it is a note for the timeline.
type ReportProgress struct {
	TaskID  string
	Message string
	// Percent is how far along, 0 to 100.
	Percent float64
}

// CommandName implements the runtime's command naming.
func (ReportProgress) CommandName() string { return "ReportProgress" }

// Validate checks the command on its own, before it reaches the entity.
func (c ReportProgress) Validate() error {
	var f decision.Fields
	if c.TaskID == "" {
		f.Add("task_id", "is required")
	}
	if utf8.RuneCountInString(c.Message) > decision.MaxReasonLength || !utf8.ValidString(c.Message) {
		f.Add("message", fmt.Sprintf("must be valid UTF-8 of at most %d characters", decision.MaxReasonLength))
	}
	if math.IsNaN(c.Percent) || c.Percent < 0 || c.Percent > 100 {
		f.Add("percent", "must be between 0 and 100")
	}
	return f.Err()
}

func (s *State) reportProgress(c ReportProgress) ([]proto.Message, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := s.present(); err != nil {
		return nil, err
	}
	if _, ok := s.Tasks[c.TaskID]; !ok {
		return nil, fmt.Errorf("%w: %s, agent %s", ErrTaskNotInFlight, c.TaskID, s.ID)
	}
	return []proto.Message{&hivev1.AgentTaskProgress{AgentId: s.ID, TaskId: c.TaskID, Message: c.Message, Percent: c.Percent}}, nil
}

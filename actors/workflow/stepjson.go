package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// stepJSON is the JSON form of a Step.
type stepJSON struct {
	ID              string          `json:"id"`
	Capability      string          `json:"capability,omitempty"`
	Input           json.RawMessage `json:"input,omitempty"`
	DependsOn       []string        `json:"depends_on,omitempty"`
	Retry           *RetryPolicy    `json:"retry,omitempty"`
	Timeout         duration        `json:"timeout,omitempty"`
	Approval        bool            `json:"approval,omitempty"`
	ApprovalTimeout duration        `json:"approval_timeout,omitempty"`
	Priority        int             `json:"priority,omitempty"`
	Planner         bool            `json:"planner,omitempty"`
}

// retryJSON is the JSON form of a RetryPolicy.
type retryJSON struct {
	MaxAttempts int      `json:"max_attempts,omitempty"`
	Backoff     duration `json:"backoff,omitempty"`
}

// MarshalJSON writes the step with snake_case fields (id, capability,
// input, depends_on, retry{max_attempts, backoff}, timeout, approval,
// approval_timeout, priority, planner), durations as strings like "30s",
// and zero fields left out.
func (st Step) MarshalJSON() ([]byte, error) {
	j := stepJSON{
		ID: st.ID, Capability: st.Capability, Input: st.Input, DependsOn: st.DependsOn,
		Timeout: duration(st.Timeout), Approval: st.Approval, ApprovalTimeout: duration(st.ApprovalTimeout),
		Priority: st.Priority, Planner: st.Planner,
	}
	if st.Retry != (RetryPolicy{}) {
		j.Retry = &st.Retry
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form MarshalJSON writes. Durations must be Go
// duration strings ("30s", "1m30s"); unknown fields are an error, so that a
// misspelt "dependsOn" does not silently make a step a root.
func (st *Step) UnmarshalJSON(data []byte) error {
	var j stepJSON
	if err := strictDecode(data, &j); err != nil {
		return err
	}
	*st = Step{
		ID: j.ID, Capability: j.Capability, Input: j.Input, DependsOn: j.DependsOn,
		Timeout: time.Duration(j.Timeout), Approval: j.Approval, ApprovalTimeout: time.Duration(j.ApprovalTimeout),
		Priority: j.Priority, Planner: j.Planner,
	}
	if j.Retry != nil {
		st.Retry = *j.Retry
	}
	return nil
}

// MarshalJSON writes {"max_attempts": n, "backoff": "5s"}.
func (r RetryPolicy) MarshalJSON() ([]byte, error) {
	return json.Marshal(retryJSON{MaxAttempts: r.MaxAttempts, Backoff: duration(r.Backoff)})
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (r *RetryPolicy) UnmarshalJSON(data []byte) error {
	var j retryJSON
	if err := strictDecode(data, &j); err != nil {
		return err
	}
	*r = RetryPolicy{MaxAttempts: j.MaxAttempts, Backoff: time.Duration(j.Backoff)}
	return nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// duration is a time.Duration written in JSON as a Go duration string.
type duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *duration) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"30s\", not %s", data)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = duration(v)
	return nil
}

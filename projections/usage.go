package projections

import hivev1 "hive/proto/hive/v1"

// Usage is what work consumed, as its agents reported it: one task's
// usage, or the sum over many.
type Usage struct {
	// Model is the model of one task's work; empty in sums.
	Model        string `json:"model,omitempty"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
	CostMicros   int64  `json:"cost_micros"`
}

func usageOf(u *hivev1.Usage) Usage {
	return Usage{Model: u.GetModel(), InputTokens: u.GetInputTokens(), OutputTokens: u.GetOutputTokens(), CostMicros: u.GetCostMicros()}
}

// add adds u's counts, not its model.
func (s *Usage) add(u *hivev1.Usage) {
	s.InputTokens += u.GetInputTokens()
	s.OutputTokens += u.GetOutputTokens()
	s.CostMicros += u.GetCostMicros()
}

// Tokens is input plus output tokens.
func (s Usage) Tokens() int64 { return s.InputTokens + s.OutputTokens }

// Package ledger holds the usage accounting that agents, swarms and workflow
// runs share: the usage a unit of work reports, the running totals an entity
// keeps of it, and the budgets that bound those totals.
package ledger

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// Limits on reported usage.
const (
	// MaxTokens bounds one report's token counts, far above any model's
	// context, so that sums cannot overflow.
	MaxTokens = int64(1) << 40
	// MaxCostMicros bounds one report's cost (one million currency units).
	MaxCostMicros = int64(1_000_000) * 1_000_000
)

// Usage is what one unit of work consumed, or a sum of such reports.
type Usage struct {
	Model        string `json:"model,omitempty"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
	CostMicros   int64  `json:"cost_micros"`
}

// Tokens is input plus output tokens.
func (u Usage) Tokens() int64 { return u.InputTokens + u.OutputTokens }

// Add returns the sum of u and v; the model is kept only when both agree.
// A zero usage adds nothing, so a running total started at zero keeps the
// model of the reports it sums while they agree.
func (u Usage) Add(v Usage) Usage {
	switch {
	case v == Usage{}:
		return u
	case u == Usage{}:
		return v
	}
	model := u.Model
	if model != v.Model {
		model = ""
	}
	return Usage{Model: model, InputTokens: u.InputTokens + v.InputTokens,
		OutputTokens: u.OutputTokens + v.OutputTokens, CostMicros: u.CostMicros + v.CostMicros}
}

// Validate checks a reported usage, naming fields under prefix (e.g. "usage").
func (u Usage) Validate(f *decision.Fields, prefix string) {
	if !utf8.ValidString(u.Model) || utf8.RuneCountInString(u.Model) > decision.MaxNameLength || strings.ContainsAny(u.Model, "\x00\n\r") {
		f.Add(prefix+".model", fmt.Sprintf("must be valid UTF-8 of at most %d characters on one line", decision.MaxNameLength))
	}
	checkRange(f, prefix+".input_tokens", u.InputTokens, MaxTokens)
	checkRange(f, prefix+".output_tokens", u.OutputTokens, MaxTokens)
	checkRange(f, prefix+".cost_micros", u.CostMicros, MaxCostMicros)
}

func checkRange(f *decision.Fields, field string, v, max int64) {
	if v < 0 || v > max {
		f.Add(field, fmt.Sprintf("must be between 0 and %d", max))
	}
}

// FromProto converts a stored usage; nil is no usage.
func FromProto(p *hivev1.Usage) Usage {
	return Usage{Model: p.GetModel(), InputTokens: p.GetInputTokens(), OutputTokens: p.GetOutputTokens(), CostMicros: p.GetCostMicros()}
}

// Proto converts u for storing in an event.
func (u Usage) Proto() *hivev1.Usage {
	return &hivev1.Usage{Model: u.Model, InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CostMicros: u.CostMicros}
}

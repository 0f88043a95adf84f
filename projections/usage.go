package projections

import hivev1 "hive/proto/hive/v1"

// Usage is what one task consumed, as its agent reported it.
type Usage struct {
	Model        string `json:"model,omitempty"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
	CostMicros   int64  `json:"cost_micros"`
}

func usageOf(u *hivev1.Usage) Usage {
	return Usage{Model: u.GetModel(), InputTokens: u.GetInputTokens(), OutputTokens: u.GetOutputTokens(), CostMicros: u.GetCostMicros()}
}

// UsageTotals is what many tasks consumed, summed.
type UsageTotals struct {
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	CostMicros   int64 `json:"cost_micros"`
	// Tasks is how many completed tasks the sums are over.
	Tasks uint64 `json:"tasks"`
}

// count adds one completed task's usage.
func (s *UsageTotals) count(u *hivev1.Usage) {
	s.InputTokens += u.GetInputTokens()
	s.OutputTokens += u.GetOutputTokens()
	s.CostMicros += u.GetCostMicros()
	s.Tasks++
}

// plus is the sum of s and o.
func (s UsageTotals) plus(o UsageTotals) UsageTotals {
	return UsageTotals{InputTokens: s.InputTokens + o.InputTokens, OutputTokens: s.OutputTokens + o.OutputTokens,
		CostMicros: s.CostMicros + o.CostMicros, Tasks: s.Tasks + o.Tasks}
}

// Amount is an amount of tokens (input plus output) and cost.
type Amount struct {
	Tokens     int64 `json:"tokens"`
	CostMicros int64 `json:"cost_micros"`
}

func amountOf(b *hivev1.Budget) Amount {
	return Amount{Tokens: b.GetTokens(), CostMicros: b.GetCostMicros()}
}

// BudgetRemaining is what is left of each bound of a budget; null where
// the budget sets no bound.
type BudgetRemaining struct {
	Tokens     *int64 `json:"tokens" jsonschema:"nullable"`
	CostMicros *int64 `json:"cost_micros" jsonschema:"nullable"`
}

// BudgetStatus is a budget and where its entity stands against it.
type BudgetStatus struct {
	// Limit is the budget; a zero field is no bound.
	Limit Amount `json:"limit"`
	// Spent is what counts against it.
	Spent     Amount          `json:"spent"`
	Remaining BudgetRemaining `json:"remaining"`
	// Exhausted is whether the entity stopped for its budget: it assigns
	// or dispatches nothing until the budget is raised.
	Exhausted bool `json:"exhausted"`
}

// budgetStatus is the status of limit after spending used.
func budgetStatus(limit Amount, used UsageTotals, exhausted bool) BudgetStatus {
	spent := Amount{Tokens: used.InputTokens + used.OutputTokens, CostMicros: used.CostMicros}
	left := func(bound, spent int64) *int64 {
		if bound == 0 {
			return nil
		}
		n := max(bound-spent, 0)
		return &n
	}
	return BudgetStatus{Limit: limit, Spent: spent, Exhausted: exhausted,
		Remaining: BudgetRemaining{Tokens: left(limit.Tokens, spent.Tokens), CostMicros: left(limit.CostMicros, spent.CostMicros)}}
}

// reached reports whether spent has reached a bound of limit, as the
// entities decide it (see ledger.Budget.Exhausted).
func (limit Amount) reached(used UsageTotals) bool {
	return (limit.Tokens > 0 && used.InputTokens+used.OutputTokens >= limit.Tokens) ||
		(limit.CostMicros > 0 && used.CostMicros >= limit.CostMicros)
}

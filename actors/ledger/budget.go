package ledger

import (
	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// Budget bounds what an entity may spend; a zero field is no bound.
type Budget struct {
	Tokens     int64 `json:"tokens"`
	CostMicros int64 `json:"cost_micros"`
}

// Unlimited reports whether b bounds nothing.
func (b Budget) Unlimited() bool { return b.Tokens == 0 && b.CostMicros == 0 }

// Exhausted reports whether spent has reached b, so that the next unit of
// work (whose usage is unknown until it is done) would exceed it.
func (b Budget) Exhausted(spent Usage) bool {
	return (b.Tokens > 0 && spent.Tokens() >= b.Tokens) || (b.CostMicros > 0 && spent.CostMicros >= b.CostMicros)
}

// Validate checks a budget, naming fields under prefix (e.g. "budget").
func (b Budget) Validate(f *decision.Fields, prefix string) {
	checkRange(f, prefix+".tokens", b.Tokens, MaxTokens*1_000_000)
	checkRange(f, prefix+".cost_micros", b.CostMicros, MaxCostMicros*1_000_000)
}

// BudgetFromProto converts a stored budget; nil is no bound.
func BudgetFromProto(p *hivev1.Budget) Budget {
	return Budget{Tokens: p.GetTokens(), CostMicros: p.GetCostMicros()}
}

// Proto converts b for storing in an event.
func (b Budget) Proto() *hivev1.Budget {
	return &hivev1.Budget{Tokens: b.Tokens, CostMicros: b.CostMicros}
}

package ledger_test

import (
	"testing"

	"hive/actors/decision"
	"hive/actors/ledger"
)

func TestBudgetExhausted(t *testing.T) {
	tests := []struct {
		name   string
		budget ledger.Budget
		spent  ledger.Usage
		want   bool
	}{
		{"unlimited", ledger.Budget{}, ledger.Usage{InputTokens: 1 << 30, CostMicros: 1 << 40}, false},
		{"tokens below", ledger.Budget{Tokens: 100}, ledger.Usage{InputTokens: 60, OutputTokens: 39}, false},
		{"tokens reached", ledger.Budget{Tokens: 100}, ledger.Usage{InputTokens: 60, OutputTokens: 40}, true},
		{"cost reached, tokens not", ledger.Budget{Tokens: 100, CostMicros: 5}, ledger.Usage{InputTokens: 1, CostMicros: 5}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.budget.Exhausted(tt.spent); got != tt.want {
				t.Fatalf("Exhausted = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUsageAddKeepsAgreedModel(t *testing.T) {
	a := ledger.Usage{Model: "m", InputTokens: 1, OutputTokens: 2, CostMicros: 3}
	if got := a.Add(a); got != (ledger.Usage{Model: "m", InputTokens: 2, OutputTokens: 4, CostMicros: 6}) {
		t.Fatalf("same model: %+v", got)
	}
	if got := a.Add(ledger.Usage{Model: "n"}); got.Model != "" {
		t.Fatalf("mixed models kept %q", got.Model)
	}
	var total ledger.Usage
	if got := total.Add(a).Add(a); got.Model != "m" || got.InputTokens != 2 {
		t.Fatalf("a total started at zero: %+v, want the model kept", got)
	}
	if got := a.Add(ledger.Usage{}); got != a {
		t.Fatalf("adding nothing: %+v", got)
	}
}

func TestUsageValidateNamesFields(t *testing.T) {
	var f decision.Fields
	ledger.Usage{Model: "bad\nmodel", InputTokens: -1, CostMicros: ledger.MaxCostMicros + 1}.Validate(&f, "usage")
	want := []string{"usage.model", "usage.input_tokens", "usage.cost_micros"}
	if len(f) != len(want) {
		t.Fatalf("fields = %+v, want %v", f, want)
	}
	for i, w := range want {
		if f[i].Field != w {
			t.Errorf("field %d = %q, want %q", i, f[i].Field, w)
		}
	}
}

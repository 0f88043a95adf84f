package workflow_test

import (
	"testing"

	"hive/actors/workflow"
)

func TestStatusEnded(t *testing.T) {
	for _, tc := range []struct {
		status workflow.Status
		ended  bool
	}{
		{workflow.StatusNotStarted, false},
		{workflow.StatusRunning, false},
		{workflow.StatusPaused, false},
		{workflow.StatusBudgetExhausted, true},
		{workflow.StatusCompleted, true},
		{workflow.StatusFailed, true},
		{workflow.StatusCancelled, true},
	} {
		t.Run(string(tc.status), func(t *testing.T) {
			if got := tc.status.Ended(); got != tc.ended {
				t.Errorf("%q.Ended() = %v, want %v", tc.status, got, tc.ended)
			}
			// An ended run's actor is passivated at once.
			if got := (&workflow.State{Status: tc.status}).Resting(); got != tc.ended {
				t.Errorf("a %q run's Resting() = %v, want %v", tc.status, got, tc.ended)
			}
		})
	}
}

package projections_test

import (
	"math/rand/v2"
	"testing"

	"hive/events"
	"hive/projections"
)

// TestBatchesGiveTheSameReadModel applies a busy fleet's history to every
// read model that applies batches, one event at a time and in batches of
// random sizes: both give the same view and checkpoint.
func TestBatchesGiveTheSameReadModel(t *testing.T) {
	log := workload(t, 20).log
	rng := rand.New(rand.NewPCG(17, 3))
	for _, rm := range readModels {
		if _, ok := rm.make().(projections.Batcher); !ok {
			continue // it applies one event at a time
		}
		t.Run(rm.name, func(t *testing.T) {
			one, batched := rm.make(), rm.make()
			b := batched.(projections.Batcher)
			applyAll(t, one, log)
			for rest := log; len(rest) > 0; {
				n := min(len(rest), 1+rng.IntN(300))
				batch := make([]*events.Committed, n)
				for i, env := range rest[:n] {
					batch[i] = committed(env)
				}
				if applied, err := b.ApplyBatch(batch); applied != n || err != nil {
					t.Fatalf("ApplyBatch of %d events = %d, %v", n, applied, err)
				}
				rest = rest[n:]
			}
			if got, want := asJSON(t, rm.view(batched)), asJSON(t, rm.view(one)); got != want || batched.Checkpoint() != one.Checkpoint() {
				t.Fatalf("in batches: checkpoint %d, %s\none at a time: checkpoint %d, %s", batched.Checkpoint(), got, one.Checkpoint(), want)
			}
		})
	}
}

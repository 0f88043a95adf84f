package swarm_test

import (
	"errors"
	"testing"

	"hive/actors/decision"
	"hive/actors/swarm"
)

func TestTaskIDRoundTrip(t *testing.T) {
	for _, seq := range []uint64{1, 42, 1 << 63} {
		id := swarm.TaskID(sid, seq)
		gotSwarm, gotSeq, err := swarm.ParseTaskID(id)
		if err != nil || gotSwarm != sid || gotSeq != seq {
			t.Fatalf("ParseTaskID(%q) = %q, %d, %v", id, gotSwarm, gotSeq, err)
		}
	}
}

func TestParseTaskIDRefusesMalformedIDs(t *testing.T) {
	for _, id := range []string{
		"", sid, sid + ".", sid + ".0", sid + ".01", sid + ".+1", sid + ".-1", sid + ".x",
		"not-a-uuid.1", "{" + sid + "}.1", "DDE155A4-6D27-5929-84B2-431E99B38C63.1", sid + ".18446744073709551616",
	} {
		_, _, err := swarm.ParseTaskID(id)
		var inv *decision.InvalidError
		if !errors.Is(err, decision.ErrInvalid) || !errors.As(err, &inv) || inv.Fields[0].Field != "task_id" {
			t.Errorf("ParseTaskID(%q) = %v", id, err)
		}
	}
}

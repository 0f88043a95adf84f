package projections

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// touched records the ids of the rows changed since the last call to
// Changed, in the order they were first changed, so that Changed encodes
// only those, each once however many events changed it.
type touched struct {
	ids  []string
	seen map[string]struct{}
}

// reset forgets the rows recorded.
func (t *touched) reset() {
	t.ids = t.ids[:0]
	clear(t.seen)
}

func (t *touched) add(id string) {
	if _, ok := t.seen[id]; ok {
		return
	}
	if t.seen == nil {
		t.seen = map[string]struct{}{}
	}
	t.seen[id] = struct{}{}
	t.ids = append(t.ids, id)
}

// appendChange appends to dst an upsert of row, the row id of topic as of
// the event at pos.
func appendChange(dst []Change, topic string, pos uint64, id string, row any) ([]Change, error) {
	b, err := json.Marshal(row)
	if err != nil {
		return dst, fmt.Errorf("projections: encode %s row %s: %w", topic, id, err)
	}
	return append(dst, Change{Topic: topic, Position: pos, Op: OpUpsert, ID: id, Data: b}), nil
}

// positionID is a position as a change id.
func positionID(pos uint64) string { return strconv.FormatUint(pos, 10) }

// encodeState encodes a read model's saved state.
func encodeState(name string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("projections: encode %s state: %w", name, err)
	}
	return b, nil
}

// decodeState decodes a read model's saved state into v.
func decodeState(name string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("projections: decode %s state: %w", name, err)
	}
	return nil
}

package projections

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// touched records the ids of the rows the event last applied changed, so
// that Changed encodes only those. Apply resets it for every event.
type touched []string

func (t *touched) reset() { *t = (*t)[:0] }

func (t *touched) add(id string) {
	if !slices.Contains(*t, id) {
		*t = append(*t, id)
	}
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

package esdbstore

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	"hive/events"
)

// eventMetadata is the JSON an event carries as its EventStoreDB metadata:
// what the envelope holds beyond the id, type and payload. The correlation
// and causation ids use EventStoreDB's own keys, which its projections
// understand.
type eventMetadata struct {
	CorrelationID string `json:"$correlationId,omitempty"`
	CausationID   string `json:"$causationId,omitempty"`
	Principal     string `json:"principal,omitempty"`
	SchemaVersion uint32 `json:"schemaVersion"`
	// RecordedAt is the recorded time in Unix nanoseconds, as the hash
	// chain covers it: EventStoreDB's own "created" time is the server's,
	// in 100 ns ticks.
	RecordedAt int64 `json:"recordedAt"`
	// Hash is the event's link of its stream's hash chain, in hex.
	Hash string `json:"hash"`
}

// toEventData returns the EventStoreDB event for an envelope whose version,
// recorded time and hash are set.
func toEventData(e *events.Envelope) (kurrentdb.EventData, error) {
	meta, err := json.Marshal(eventMetadata{
		CorrelationID: e.CorrelationID, CausationID: e.CausationID, Principal: e.Principal,
		SchemaVersion: e.SchemaVersion, RecordedAt: e.RecordedAt.UnixNano(), Hash: e.Hash.String(),
	})
	if err != nil {
		return kurrentdb.EventData{}, fmt.Errorf("esdbstore: encode the metadata of event %s: %w", e.ID, err)
	}
	return kurrentdb.EventData{
		EventID: e.ID, EventType: e.Type, ContentType: kurrentdb.ContentTypeBinary,
		Data: e.Payload, Metadata: meta,
	}, nil
}

// fromRecorded returns the envelope of an event read from one of Hive's
// streams, whose name in Hive is stream. The payload is a copy with no spare capacity, the caller's own.
// Hive's position is the event's position in $all, which EventStoreDB
// gives as a commit and a prepare position; they are equal for every event
// written through the gRPC API (see the package documentation), and an
// event whose are not fails with ErrForeignEvent rather than take a
// position that could repeat or skip events.
func fromRecorded(r *kurrentdb.RecordedEvent, stream string) (events.Envelope, error) {
	where := func() string { return fmt.Sprintf("%s revision %d", r.StreamID, r.EventNumber) }
	switch {
	case r.Position.Commit == math.MaxUint64:
		return events.Envelope{}, fmt.Errorf("esdbstore: %s has no $all position: EventStoreDB 22.6 or newer returns positions in stream reads", where())
	case r.Position.Commit != r.Position.Prepare:
		return events.Envelope{}, fmt.Errorf("%w: %s was written in an explicit transaction (commit position %d, prepare position %d)",
			ErrForeignEvent, where(), r.Position.Commit, r.Position.Prepare)
	case r.EventNumber == math.MaxUint64:
		return events.Envelope{}, fmt.Errorf("%w: %s has no revision", ErrForeignEvent, where())
	}
	var m eventMetadata
	dec := json.NewDecoder(bytes.NewReader(r.UserMetadata))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return events.Envelope{}, fmt.Errorf("%w: %s: metadata: %v", ErrForeignEvent, where(), err)
	}
	hash, err := hex.DecodeString(m.Hash)
	if err != nil || len(hash) != len(events.Hash{}) {
		return events.Envelope{}, fmt.Errorf("%w: %s: metadata holds no hash", ErrForeignEvent, where())
	}
	e := events.Envelope{
		ID: r.EventID, Stream: stream, Version: r.EventNumber + 1, Position: r.Position.Prepare,
		Type: r.EventType, RecordedAt: time.Unix(0, m.RecordedAt).UTC(), SchemaVersion: m.SchemaVersion,
		Payload:  bytes.Clone(r.Data),
		Metadata: events.Metadata{CorrelationID: m.CorrelationID, CausationID: m.CausationID, Principal: m.Principal},
	}
	copy(e.Hash[:], hash)
	return e, nil
}

// isSystem reports whether stream is one of EventStoreDB's system streams
// (their names start with "$"), which are not Hive's: the store keeps
// snapshots in such streams and never shows them as events.
func isSystem(stream string) bool { return strings.HasPrefix(stream, "$") }

// esdbName is the name in EventStoreDB of Hive's stream.
func (s *Store) esdbName(stream string) string { return s.cfg.StreamPrefix + stream }

// hiveName is the name in Hive of the EventStoreDB stream name, and false
// if the stream is not one of Hive's: a system stream, or one without the
// store's prefix.
func (s *Store) hiveName(name string) (string, bool) {
	if isSystem(name) || !strings.HasPrefix(name, s.cfg.StreamPrefix) {
		return "", false
	}
	return name[len(s.cfg.StreamPrefix):], true
}

// appendSize is how EventStoreDB measures the events of an append against
// its MaxAppendSize: data, metadata, and the type in UTF-16 code units of
// two bytes.
func appendSize(evs []kurrentdb.EventData) int {
	n := 0
	for i := range evs {
		n += len(evs[i].Data) + len(evs[i].Metadata) + 2*utf16Len(evs[i].EventType)
	}
	return n
}

// checkAppendSize refuses an append EventStoreDB would refuse.
func (s *Store) checkAppendSize(stream string, evs []kurrentdb.EventData) error {
	if n := appendSize(evs); n > s.cfg.MaxAppendSize {
		return fmt.Errorf("%w: the append to %s is %d bytes, over EventStoreDB's limit of %d per append", events.ErrInvalidArgument, stream, n, s.cfg.MaxAppendSize)
	}
	return nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

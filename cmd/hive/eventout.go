package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"hive/events"
)

// eventJSON is an event as -o json and -o jsonl print it: the fields of
// the API's events, the payload as protobuf JSON (null for a type this
// build does not know, whose bytes are then in payload_base64).
type eventJSON struct {
	ID            string          `json:"id"`
	Stream        string          `json:"stream"`
	Version       uint64          `json:"version"`
	Position      uint64          `json:"position"`
	Type          string          `json:"type"`
	RecordedAt    time.Time       `json:"recorded_at"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	CausationID   string          `json:"causation_id,omitempty"`
	Principal     string          `json:"principal,omitempty"`
	SchemaVersion uint32          `json:"schema_version"`
	Payload       json.RawMessage `json:"payload"`
	PayloadBase64 []byte          `json:"payload_base64,omitempty"`
	Hash          string          `json:"hash"`
}

func toEventJSON(e *events.Envelope) eventJSON {
	out := eventJSON{
		ID: e.ID.String(), Stream: e.Stream, Version: e.Version, Position: e.Position, Type: e.Type,
		RecordedAt: e.RecordedAt, CorrelationID: e.CorrelationID, CausationID: e.CausationID,
		Principal: e.Principal, SchemaVersion: e.SchemaVersion, Payload: json.RawMessage("null"), Hash: e.Hash.String(),
	}
	if msg, err := events.Decode(e); err == nil {
		if raw, err := protojson.Marshal(msg); err == nil {
			out.Payload = raw
			return out
		}
	}
	out.PayloadBase64 = e.Payload
	return out
}

// eventPrinter prints events in one of the output formats.
type eventPrinter interface {
	print(e *events.Envelope) error
	// flush writes what is buffered: the table's rows so far, the JSON
	// array.
	flush() error
}

// newEventPrinter returns the printer of format: table, json (one array,
// written by flush) or jsonl (one object a line).
func newEventPrinter(w io.Writer, format string) eventPrinter {
	switch format {
	case "json":
		return &jsonArrayPrinter{w: w, items: []eventJSON{}}
	case "jsonl":
		return &jsonLinePrinter{enc: json.NewEncoder(w)}
	}
	return &tablePrinter{t: newTable(w, "POSITION", "TIME", "STREAM", "VERSION", "TYPE", "PRINCIPAL")}
}

// outputFormats are the formats of the event commands' -o.
var outputFormats = []string{"table", "json", "jsonl"}

func checkOutput(format string) error {
	for _, f := range outputFormats {
		if f == format {
			return nil
		}
	}
	return fmt.Errorf("--output %q: want table, json or jsonl", format)
}

type tablePrinter struct{ t *table }

func (p *tablePrinter) print(e *events.Envelope) error {
	p.t.row(e.Position, timeText(e.RecordedAt), e.Stream, e.Version, e.Type, e.Principal)
	return nil
}

func (p *tablePrinter) flush() error { return p.t.flush() }

type jsonArrayPrinter struct {
	w     io.Writer
	items []eventJSON
}

func (p *jsonArrayPrinter) print(e *events.Envelope) error {
	p.items = append(p.items, toEventJSON(e))
	return nil
}

func (p *jsonArrayPrinter) flush() error {
	err := writeJSON(p.w, p.items)
	p.items = p.items[:0]
	return err
}

type jsonLinePrinter struct{ enc *json.Encoder }

func (p *jsonLinePrinter) print(e *events.Envelope) error { return p.enc.Encode(toEventJSON(e)) }

func (p *jsonLinePrinter) flush() error { return nil }

package main

import (
	"encoding/json"
	"fmt"
	"io"

	"hive/events"
	"hive/http/api"
)

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
		return &jsonArrayPrinter{w: w, items: []api.EventJSON{}}
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
	items []api.EventJSON
}

func (p *jsonArrayPrinter) print(e *events.Envelope) error {
	p.items = append(p.items, api.NewEventJSON(e))
	return nil
}

func (p *jsonArrayPrinter) flush() error {
	err := writeJSON(p.w, p.items)
	p.items = p.items[:0]
	return err
}

type jsonLinePrinter struct{ enc *json.Encoder }

func (p *jsonLinePrinter) print(e *events.Envelope) error { return p.enc.Encode(api.NewEventJSON(e)) }

func (p *jsonLinePrinter) flush() error { return nil }

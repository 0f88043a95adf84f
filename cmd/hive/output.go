package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// table writes aligned columns: a header, then rows.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, columns ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	fmt.Fprintln(t.tw, strings.Join(columns, "\t"))
	return t
}

// row writes one row; empty cells are shown as "-".
func (t *table) row(cells ...any) {
	text := make([]string, len(cells))
	for i, c := range cells {
		text[i] = orDash(strings.ReplaceAll(fmt.Sprint(c), "\t", " "))
	}
	fmt.Fprintln(t.tw, strings.Join(text, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// writeRawList prints the JSON of a list's items as one array.
func writeRawList[T any](w io.Writer, items []T, raw func(T) []byte) error {
	out := make([]json.RawMessage, len(items))
	for i, it := range items {
		out[i] = raw(it)
	}
	return writeJSON(w, out)
}

// timeText shows a time in UTC to the second, or "-" when unset.
func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// took shows how long from start to end, or "-" unless both are set.
func took(start, end time.Time) string {
	if start.IsZero() || end.IsZero() {
		return "-"
	}
	return end.Sub(start).Round(time.Millisecond).String()
}

func joined(items []string) string { return strings.Join(items, ",") }

// labelsText shows labels as k=v,k=v in key order.
func labelsText(labels map[string]string) string {
	pairs := make([]string, 0, len(labels))
	for k, v := range labels {
		pairs = append(pairs, k+"="+v)
	}
	slices.Sort(pairs)
	return joined(pairs)
}

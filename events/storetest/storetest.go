// Package storetest is the conformance suite for events.Store. Every backend
// runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, maxEventSize int) events.Store { ... })
//	}
//
// The suite checks the guarantees the events package documents: ordering,
// optimistic concurrency under racing writers, idempotency (of whole
// batches, retried after other appends and concurrently), paging,
// subscriptions switching from catch-up to live under concurrent appends,
// from the start or from the middle of the log, subscribers following many
// concurrent writers without skipping a late-committing position,
// cancellation, size limits, the same error for the same bad argument,
// hash-chain continuity, and that callers own the memory they pass in and
// get back; and, for stores that have them, the SnapshotStore and Importer
// capabilities.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hive/events"
)

// Open returns a new, empty store whose events may be at most maxEventSize
// bytes. The suite closes it; Open should register any other clean-up with
// t.Cleanup.
type Open func(t *testing.T, maxEventSize int) events.Store

// SmallEventLimit is the event size limit the suite asks for.
const SmallEventLimit = 4096

// Run runs the whole suite against the stores open returns. opts declare
// the guarantees the store cannot honour in full (see Option).
func Run(t *testing.T, open Open, opts ...Option) {
	l := newLimits(opts)
	tests := []struct {
		name string
		fn   func(*testing.T, events.Store)
	}{
		{"AppendThenReadStream", testAppendThenReadStream},
		{"ExpectedVersion", testExpectedVersion},
		{"ReadStreamDirectionsAndLimits", testReadStreamDirections},
		{"ReadStreamNotFound", testReadStreamNotFound},
		{"ReadAllOrderAndPaging", testReadAllPaging},
		{"IdempotentAppend", testIdempotentAppend},
		{"IdempotentBatchRetry", testIdempotentBatchRetry},
		{"IdempotentAppendDeepInStream", func(t *testing.T, s events.Store) { testIdempotentDeep(t, s, l) }},
		{"DuplicateEventID", func(t *testing.T, s events.Store) { testDuplicateEventID(t, s, l) }},
		{"RacingWritersOneStream", testRacingWriters},
		{"ConcurrentWritersDistinctStreams", testConcurrentDistinctStreams},
		{"SubscribeCatchUpThenLive", testSubscribeCatchUpThenLive},
		{"SubscribeFromPosition", testSubscribeFromPosition},
		{"SubscribeMidStreamUnderLoad", testSubscribeMidStream},
		{"OrderingTrapManyWriters", testOrderingManyWriters},
		{"SubscriptionCancellation", testSubscriptionCancellation},
		{"CanceledContext", testCanceledContext},
		{"EventTooLarge", testEventTooLarge},
		{"InvalidArguments", testInvalidArguments},
		{"HashChain", testHashChain},
		{"CallersOwnTheirMemory", testCallersOwnTheirMemory},
		{"Closed", testClosed},
		{"Snapshots", testSnapshots},
		{"Import", testImport},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, SmallEventLimit)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

// NewEvents returns n distinct events of type "test.Event" whose payloads
// name the stream and their index. Backends' own tests use it too.
func NewEvents(t testing.TB, stream string, n int) []events.Event {
	t.Helper()
	out := make([]events.Event, n)
	for i := range out {
		id, err := events.NewEventID()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = events.Event{
			ID: id, Type: "test.Event", SchemaVersion: 1,
			Payload: []byte(fmt.Sprintf("%s#%d", stream, i)),
			Metadata: events.Metadata{
				CorrelationID: "corr-" + stream, CausationID: fmt.Sprintf("cause-%d", i), Principal: "tester",
			},
		}
	}
	return out
}

// MustAppend appends evs to stream, failing t on error.
func MustAppend(t testing.TB, s events.Store, stream string, exp events.ExpectedVersion, evs []events.Event) events.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), stream, exp, evs)
	if err != nil {
		t.Fatalf("append %d events to %s (%s): %v", len(evs), stream, exp, err)
	}
	return res
}

func readStream(t *testing.T, s events.Store, stream string) []events.Envelope {
	t.Helper()
	got, err := s.ReadStream(context.Background(), stream, 1, events.Forward, events.MaxReadLimit)
	if err != nil {
		t.Fatalf("read stream %s: %v", stream, err)
	}
	return got
}

func readAll(t *testing.T, s events.Store) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	var after uint64
	for {
		page, err := s.ReadAll(context.Background(), after, 1000)
		if err != nil {
			t.Fatalf("read all after %d: %v", after, err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Position
	}
}

func head(t *testing.T, s events.Store) uint64 {
	t.Helper()
	h, err := s.Head(context.Background())
	if err != nil {
		t.Fatalf("head: %v", err)
	}
	return h
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

package esdbdouble_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"hive/events/esdbstore/esdbdouble"
)

// client returns a client of the double at url, closed when the test ends.
func client(t *testing.T, url string) *kurrentdb.Client {
	t.Helper()
	cfg, err := kurrentdb.ParseConnectionString(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = kurrentdb.NoopLogging()
	c, err := kurrentdb.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func newEvents(n int) []kurrentdb.EventData {
	out := make([]kurrentdb.EventData, n)
	for i := range out {
		out[i] = kurrentdb.EventData{EventID: uuid.New(), EventType: "test", ContentType: kurrentdb.ContentTypeBinary, Data: []byte{byte(i)}}
	}
	return out
}

func appendTo(t *testing.T, c *kurrentdb.Client, stream string, state kurrentdb.StreamState, evs []kurrentdb.EventData) (*kurrentdb.WriteResult, error) {
	t.Helper()
	return c.AppendToStream(ctx(t), stream, kurrentdb.AppendToStreamOptions{StreamState: state}, evs...)
}

func mustAppend(t *testing.T, c *kurrentdb.Client, stream string, state kurrentdb.StreamState, evs []kurrentdb.EventData) *kurrentdb.WriteResult {
	t.Helper()
	wr, err := appendTo(t, c, stream, state, evs)
	if err != nil {
		t.Fatalf("append to %s: %v", stream, err)
	}
	return wr
}

func isWrongExpectedVersion(err error) bool {
	var kerr *kurrentdb.Error
	return errors.As(err, &kerr) && kerr.Code() == kurrentdb.ErrorCodeWrongExpectedVersion
}

// collect reads a read to its end; nil, nil for a missing stream.
func collect(t *testing.T, rs *kurrentdb.ReadStream, err error) []*kurrentdb.RecordedEvent {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []*kurrentdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		var kerr *kurrentdb.Error
		if errors.As(err, &kerr) && kerr.Code() == kurrentdb.ErrorCodeResourceNotFound {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.OriginalEvent())
	}
}

func readStream(t *testing.T, c *kurrentdb.Client, stream string, dir kurrentdb.Direction, from kurrentdb.StreamPosition, n uint64) []*kurrentdb.RecordedEvent {
	t.Helper()
	rs, err := c.ReadStream(ctx(t), stream, kurrentdb.ReadStreamOptions{Direction: dir, From: from}, n)
	return collect(t, rs, err)
}

func readAll(t *testing.T, c *kurrentdb.Client, opts kurrentdb.ReadAllOptions, n uint64) []*kurrentdb.RecordedEvent {
	t.Helper()
	rs, err := c.ReadAll(ctx(t), opts, n)
	return collect(t, rs, err)
}

func numbers(recs []*kurrentdb.RecordedEvent) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.EventNumber
	}
	return out
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExpectedRevisions(t *testing.T) {
	c := client(t, esdbdouble.Start(t).URL())
	mustAppend(t, c, "existing", kurrentdb.NoStream{}, newEvents(2)) // revisions 0, 1
	tests := []struct {
		name   string
		stream string
		state  kurrentdb.StreamState
		ok     bool
	}{
		{"any, missing stream", "new-any", kurrentdb.Any{}, true},
		{"any, existing stream", "existing", kurrentdb.Any{}, true}, // now at 2
		{"no stream, missing stream", "new-none", kurrentdb.NoStream{}, true},
		{"no stream, existing stream", "existing", kurrentdb.NoStream{}, false},
		{"stream exists, missing stream", "missing", kurrentdb.StreamExists{}, false},
		{"stream exists, existing stream", "existing", kurrentdb.StreamExists{}, true}, // now at 3
		{"exact, missing stream", "missing", kurrentdb.Revision(0), false},
		{"exact current", "existing", kurrentdb.Revision(3), true}, // now at 4
		{"exact stale", "existing", kurrentdb.Revision(2), false},
		{"exact ahead", "existing", kurrentdb.Revision(9), false},
	}
	for _, tc := range tests {
		_, err := appendTo(t, c, tc.stream, tc.state, newEvents(1))
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok && !isWrongExpectedVersion(err) {
			t.Errorf("%s: err = %v, want WrongExpectedVersion", tc.name, err)
		}
	}
	if got := readStream(t, c, "existing", kurrentdb.Forwards, kurrentdb.Start{}, 100); len(got) != 5 {
		t.Errorf("existing has %d events, want 5 (2 + 3 accepted appends)", len(got))
	}
}

func TestIdempotentAppends(t *testing.T) {
	c := client(t, esdbdouble.Start(t).URL())
	in := newEvents(3)
	first := mustAppend(t, c, "idem", kurrentdb.NoStream{}, in)
	mustAppend(t, c, "idem", kurrentdb.Revision(2), newEvents(1))
	other := newEvents(1)
	tests := []struct {
		name   string
		state  kurrentdb.StreamState
		evs    []kurrentdb.EventData
		ok     bool
		revEnd uint64
	}{
		{"repeat expecting no stream", kurrentdb.NoStream{}, in, true, 2},
		{"repeat of a prefix at its revision", kurrentdb.NoStream{}, in[:2], true, 1},
		{"repeat expecting any", kurrentdb.Any{}, in, true, 2},
		{"repeat expecting the stream exists", kurrentdb.StreamExists{}, in[1:], true, 2},
		{"partial repeat", kurrentdb.NoStream{}, append(in[:2:2], other...), false, 0},
		{"repeat in the wrong place", kurrentdb.Revision(0), in[:1], false, 0},
	}
	for _, tc := range tests {
		wr, err := appendTo(t, c, "idem", tc.state, tc.evs)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.ok && wr.NextExpectedVersion != tc.revEnd:
			t.Errorf("%s: answered revision %d, want the original %d", tc.name, wr.NextExpectedVersion, tc.revEnd)
		case !tc.ok && !isWrongExpectedVersion(err):
			t.Errorf("%s: err = %v, want WrongExpectedVersion", tc.name, err)
		}
	}
	if got := readStream(t, c, "idem", kurrentdb.Forwards, kurrentdb.Start{}, 100); len(got) != 4 {
		t.Errorf("idem has %d events after the repeats, want 4", len(got))
	}
	if last := readStream(t, c, "idem", kurrentdb.Forwards, kurrentdb.Revision(2), 1); last[0].Position.Commit != first.CommitPosition {
		t.Errorf("the first append answered position %d, its last event is at %d", first.CommitPosition, last[0].Position.Commit)
	}
	// EventStoreDB does not refuse an id stored in another stream: it
	// writes the event again there.
	mustAppend(t, c, "elsewhere", kurrentdb.Any{}, in[:1])
	if got := readStream(t, c, "elsewhere", kurrentdb.Forwards, kurrentdb.Start{}, 10); len(got) != 1 || got[0].EventID != in[0].EventID {
		t.Errorf("elsewhere = %v, want the reused event", got)
	}
}

func TestAllOrderAndPositions(t *testing.T) {
	c := client(t, esdbdouble.Start(t).URL())
	mustAppend(t, c, "a", kurrentdb.Any{}, newEvents(3))
	mustAppend(t, c, "b", kurrentdb.Any{}, newEvents(1))
	all := readAll(t, c, kurrentdb.ReadAllOptions{From: kurrentdb.Start{}}, 100)
	if len(all) != 5 || all[0].StreamID[0] != '$' {
		t.Fatalf("$all holds %d events starting with %s, want a system event and the 4 appended", len(all), all[0].StreamID)
	}
	for i, r := range all {
		if r.Position.Commit != r.Position.Prepare {
			t.Errorf("event %d: commit %d, prepare %d, want equal", i, r.Position.Commit, r.Position.Prepare)
		}
		if i > 0 && r.Position.Commit <= all[i-1].Position.Commit+1 {
			t.Errorf("event %d at %d, want a byte offset well after %d", i, r.Position.Commit, all[i-1].Position.Commit)
		}
	}
	from := all[2].Position
	if got := readAll(t, c, kurrentdb.ReadAllOptions{From: from}, 2); got[0].EventID != all[2].EventID {
		t.Errorf("a forward read from a position starts at %v, want the event there", got[0].EventID)
	}
	back := readAll(t, c, kurrentdb.ReadAllOptions{Direction: kurrentdb.Backwards, From: from}, 10)
	if len(back) != 2 || back[0].EventID != all[1].EventID {
		t.Errorf("a backward read from a position returns %d events from %v, want the 2 before it", len(back), back)
	}
	if got := readAll(t, c, kurrentdb.ReadAllOptions{Direction: kurrentdb.Backwards, From: kurrentdb.End{}}, 1); got[0].EventID != all[4].EventID {
		t.Errorf("a backward read from the end starts at %v, want the newest event", got[0].EventID)
	}
}

func TestStreamReads(t *testing.T) {
	c := client(t, esdbdouble.Start(t).URL())
	mustAppend(t, c, "s", kurrentdb.NoStream{}, newEvents(5)) // revisions 0-4
	tests := []struct {
		name string
		dir  kurrentdb.Direction
		from kurrentdb.StreamPosition
		n    uint64
		want []uint64
	}{
		{"forward from start", kurrentdb.Forwards, kurrentdb.Start{}, 10, []uint64{0, 1, 2, 3, 4}},
		{"forward from 3", kurrentdb.Forwards, kurrentdb.Revision(3), 10, []uint64{3, 4}},
		{"forward limited", kurrentdb.Forwards, kurrentdb.Revision(1), 2, []uint64{1, 2}},
		{"forward past the end", kurrentdb.Forwards, kurrentdb.Revision(7), 10, []uint64{}},
		{"backward from end", kurrentdb.Backwards, kurrentdb.End{}, 10, []uint64{4, 3, 2, 1, 0}},
		{"backward from 2", kurrentdb.Backwards, kurrentdb.Revision(2), 10, []uint64{2, 1, 0}},
		{"backward limited", kurrentdb.Backwards, kurrentdb.Revision(3), 2, []uint64{3, 2}},
		{"backward from past the end, range missing the stream", kurrentdb.Backwards, kurrentdb.Revision(98), 2, []uint64{}},
		{"backward from past the end, range reaching into it", kurrentdb.Backwards, kurrentdb.Revision(6), 5, []uint64{4, 3, 2}},
	}
	for _, tc := range tests {
		if got := numbers(readStream(t, c, "s", tc.dir, tc.from, tc.n)); !equal(got, tc.want) {
			t.Errorf("%s: revisions %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := readStream(t, c, "absent", kurrentdb.Forwards, kurrentdb.Start{}, 10); got != nil {
		t.Errorf("a missing stream read as %v, want StreamNotFound", got)
	}
}

func TestMaxCountMetadata(t *testing.T) {
	c := client(t, esdbdouble.Start(t).URL())
	var meta kurrentdb.StreamMetadata
	meta.SetMaxCount(1)
	if _, err := c.SetStreamMetadata(ctx(t), "kept", kurrentdb.AppendToStreamOptions{StreamState: kurrentdb.Any{}}, meta); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, c, "kept", kurrentdb.NoStream{}, newEvents(3))
	if got := numbers(readStream(t, c, "kept", kurrentdb.Forwards, kurrentdb.Start{}, 10)); !equal(got, []uint64{2}) {
		t.Errorf("a stream with $maxCount 1 reads as %v, want only its newest event", got)
	}
	if _, err := appendTo(t, c, "meta-only", kurrentdb.StreamExists{}, newEvents(1)); !isWrongExpectedVersion(err) {
		t.Errorf("stream exists on a stream without events or metadata: %v, want WrongExpectedVersion", err)
	}
}

// subscription receives the next event of sub, skipping the messages that
// are not events but noting a caught-up one.
func next(t *testing.T, sub *kurrentdb.Subscription, caughtUp *bool) *kurrentdb.RecordedEvent {
	t.Helper()
	for {
		ev := sub.Recv()
		switch {
		case ev.EventAppeared != nil:
			return ev.EventAppeared.OriginalEvent()
		case ev.CaughtUp != nil:
			*caughtUp = true
		case ev.SubscriptionDropped != nil:
			t.Fatalf("subscription dropped: %v", ev.SubscriptionDropped.Error)
		}
	}
}

func TestCatchUpSubscription(t *testing.T) {
	c := client(t, esdbdouble.Start(t).URL())
	stored := newEvents(3)
	mustAppend(t, c, "sub-a", kurrentdb.Any{}, stored)
	mustAppend(t, c, "$system", kurrentdb.Any{}, newEvents(1))
	filter := &kurrentdb.SubscriptionFilter{Type: kurrentdb.StreamFilterType, Regex: `^[^$]`}
	sub, err := c.SubscribeToAll(ctx(t), kurrentdb.SubscribeToAllOptions{From: kurrentdb.Start{}, Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	caughtUp := false
	for i := range stored {
		if r := next(t, sub, &caughtUp); r.EventID != stored[i].EventID || caughtUp {
			t.Fatalf("stored event %d: got %s (caught up %v), want %s before catching up", i, r.EventID, caughtUp, stored[i].EventID)
		}
	}
	for !caughtUp {
		ev := sub.Recv()
		switch {
		case ev.CaughtUp != nil:
			caughtUp = true
		case ev.EventAppeared != nil, ev.SubscriptionDropped != nil:
			t.Fatalf("after the stored events: %+v, want caught-up", ev)
		}
	}
	live := newEvents(1)
	mustAppend(t, c, "sub-b", kurrentdb.Any{}, live)
	if r := next(t, sub, &caughtUp); r.EventID != live[0].EventID {
		t.Fatalf("live event: got %s, want %s", r.EventID, live[0].EventID)
	}

	// From a position: the event there is skipped.
	from := readAll(t, c, kurrentdb.ReadAllOptions{From: kurrentdb.Start{}}, 3)[2].Position // stored[1]
	sub2, err := c.SubscribeToAll(ctx(t), kurrentdb.SubscribeToAllOptions{From: from, Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Close()
	if r := next(t, sub2, &caughtUp); r.EventID != stored[2].EventID {
		t.Errorf("a subscription from stored[1]'s position began with %s, want stored[2] %s", r.EventID, stored[2].EventID)
	}
}

func TestFilteredSubscriptions(t *testing.T) {
	c := client(t, esdbdouble.Start(t).URL())
	mustAppend(t, c, "order-1", kurrentdb.Any{}, newEvents(1))
	mustAppend(t, c, "user-1", kurrentdb.Any{}, newEvents(1))
	typed := []kurrentdb.EventData{{EventID: uuid.New(), EventType: "Special", ContentType: kurrentdb.ContentTypeBinary}}
	mustAppend(t, c, "order-2", kurrentdb.Any{}, typed)
	tests := []struct {
		name   string
		filter *kurrentdb.SubscriptionFilter
		want   []string
	}{
		{"stream prefix", &kurrentdb.SubscriptionFilter{Type: kurrentdb.StreamFilterType, Prefixes: []string{"order-"}}, []string{"order-1", "order-2"}},
		{"stream regex", &kurrentdb.SubscriptionFilter{Type: kurrentdb.StreamFilterType, Regex: "^user"}, []string{"user-1"}},
		{"event type prefix", &kurrentdb.SubscriptionFilter{Type: kurrentdb.EventFilterType, Prefixes: []string{"Spec"}}, []string{"order-2"}},
	}
	for _, tc := range tests {
		sub, err := c.SubscribeToAll(ctx(t), kurrentdb.SubscribeToAllOptions{From: kurrentdb.Start{}, Filter: tc.filter, MaxSearchWindow: 1})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		checkpoints := 0
		for caughtUp := false; !caughtUp; {
			ev := sub.Recv()
			switch {
			case ev.EventAppeared != nil:
				got = append(got, ev.EventAppeared.OriginalEvent().StreamID)
			case ev.CheckPointReached != nil:
				checkpoints++
			case ev.CaughtUp != nil:
				caughtUp = true
			case ev.SubscriptionDropped != nil:
				t.Fatal(ev.SubscriptionDropped.Error)
			}
		}
		sub.Close()
		if len(got) != len(tc.want) || got[0] != tc.want[0] || got[len(got)-1] != tc.want[len(tc.want)-1] {
			t.Errorf("%s: streams %v, want %v", tc.name, got, tc.want)
		}
		if checkpoints == 0 {
			t.Errorf("%s: no checkpoint with a search window of 1", tc.name)
		}
	}
}

func TestFaults(t *testing.T) {
	srv := esdbdouble.Start(t)
	c := client(t, srv.URL())
	mustAppend(t, c, "f", kurrentdb.NoStream{}, newEvents(1))
	code := func(err error) kurrentdb.ErrorCode {
		var kerr *kurrentdb.Error
		if errors.As(err, &kerr) {
			return kerr.Code()
		}
		return -1
	}

	srv.Inject(esdbdouble.Append, esdbdouble.Unavailable, 1)
	if _, err := appendTo(t, c, "f", kurrentdb.Any{}, newEvents(1)); code(err) != kurrentdb.ErrorUnavailable {
		t.Errorf("Unavailable: %v", err)
	}
	srv.Inject(esdbdouble.Append, esdbdouble.AccessDenied, 1)
	if _, err := appendTo(t, c, "f", kurrentdb.Any{}, newEvents(1)); code(err) != kurrentdb.ErrorCodeAccessDenied {
		t.Errorf("AccessDenied: %v", err)
	}
	srv.Inject(esdbdouble.Read, esdbdouble.Unauthenticated, 1)
	rs, err := c.ReadStream(ctx(t), "f", kurrentdb.ReadStreamOptions{}, 1)
	if err == nil {
		_, err = rs.Recv()
		rs.Close()
	}
	if code(err) != kurrentdb.ErrorCodeUnauthenticated {
		t.Errorf("Unauthenticated: %v", err)
	}
	srv.Inject(esdbdouble.Append, esdbdouble.WrongExpectedVersion, 1)
	if _, err := appendTo(t, c, "f", kurrentdb.Revision(0), newEvents(1)); !isWrongExpectedVersion(err) {
		t.Errorf("WrongExpectedVersion: %v", err)
	}
	srv.Inject(esdbdouble.Append, esdbdouble.CommitThenUnavailable, 1)
	lost := newEvents(1)
	if _, err := appendTo(t, c, "f", kurrentdb.Revision(0), lost); code(err) != kurrentdb.ErrorUnavailable {
		t.Errorf("CommitThenUnavailable: %v", err)
	}
	if got := readStream(t, c, "f", kurrentdb.Backwards, kurrentdb.End{}, 1); got[0].EventID != lost[0].EventID {
		t.Errorf("CommitThenUnavailable did not store the append")
	}
	srv.Inject(esdbdouble.Append, esdbdouble.Hang, 1)
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.AppendToStream(short, "f", kurrentdb.AppendToStreamOptions{}, newEvents(1)...); !errors.Is(err, context.DeadlineExceeded) && code(err) != kurrentdb.ErrorCodeDeadlineExceeded {
		t.Errorf("Hang: %v", err)
	}
	if got := readStream(t, c, "f", kurrentdb.Forwards, kurrentdb.Start{}, 10); len(got) != 2 {
		t.Errorf("f has %d events, want 2: only CommitThenUnavailable wrote", len(got))
	}
}

func TestMaxAppendSize(t *testing.T) {
	c := client(t, esdbdouble.Start(t).URL())
	big := newEvents(1)
	big[0].Data = make([]byte, esdbdouble.DefaultMaxAppendSize)
	_, err := appendTo(t, c, "big", kurrentdb.Any{}, big)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "Maximum Append Size") {
		t.Errorf("an append over the limit: %v, want InvalidArgument", err)
	}
	if got := readStream(t, c, "big", kurrentdb.Forwards, kurrentdb.Start{}, 1); got != nil {
		t.Errorf("the refused append stored %d events", len(got))
	}
}

func TestStopKeepsData(t *testing.T) {
	srv := esdbdouble.Start(t)
	c := client(t, srv.URL())
	in := newEvents(2)
	mustAppend(t, c, "kept", kurrentdb.NoStream{}, in)
	addr := srv.Addr()
	srv.Stop()
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	if srv.Addr() != addr {
		t.Fatalf("the double came back on %s, want %s", srv.Addr(), addr)
	}
	c2 := client(t, srv.URL())
	if got := readStream(t, c2, "kept", kurrentdb.Forwards, kurrentdb.Start{}, 10); len(got) != 2 || got[1].EventID != in[1].EventID {
		t.Errorf("after a restart kept = %v, want the 2 events", got)
	}
}

func TestDiscovery(t *testing.T) {
	srv := esdbdouble.Start(t)
	for _, scheme := range []string{"esdb+discover", "kurrentdb+discover"} {
		c := client(t, scheme+"://"+srv.Addr()+"?tls=false")
		mustAppend(t, c, "via-"+scheme, kurrentdb.NoStream{}, newEvents(1))
	}
}

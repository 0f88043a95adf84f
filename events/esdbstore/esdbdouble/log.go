package esdbdouble

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// record is one event of the transaction log, as EventStoreDB keeps it.
type record struct {
	id          uuid.UUID
	stream      string
	number      uint64 // the event number (revision) in its stream, from 0
	eventType   string
	contentType string
	created     int64 // .NET ticks (100 ns) since the Unix epoch
	data        []byte
	metadata    []byte // the custom (user) metadata
	position    uint64 // log position: the event's commit and prepare position
}

// size is how far the record moves the log position: a header and the
// record's bytes, so that positions are byte offsets, not counters.
func (r *record) size() uint64 {
	return uint64(64 + len(r.stream) + len(r.eventType) + len(r.data) + len(r.metadata))
}

// expectKind is the kind of an append's expected stream revision.
type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectRevision
)

// expectation is an append's expected stream revision.
type expectation struct {
	kind     expectKind
	revision uint64
}

// outcome is what an append did.
type outcome uint8

const (
	written outcome = iota
	idempotent
	wrongExpectedVersion
)

// appendResult is an append's outcome, as the Append RPC reports it.
type appendResult struct {
	outcome outcome
	// current is the stream's revision: after the append when written,
	// before it otherwise; -1 when the stream does not exist.
	current int64
	// last is the event number of the append's last event, or of the last
	// event of the earlier append it repeats.
	last uint64
	// position is the log position of that event.
	position uint64
}

// log is the double's database: the transaction log ($all) in order,
// the events of every stream, and the committed-event cache that
// EventStoreDB consults for idempotency.
type log struct {
	mu      sync.Mutex
	records []record
	streams map[string][]int
	ids     map[uuid.UUID]int // event id -> index of its first record
	next    uint64
	commit  chan struct{}
	now     func() time.Time
}

func newLog(now func() time.Time) *log {
	l := &log{streams: map[string][]int{}, ids: map[uuid.UUID]int{}, commit: make(chan struct{}), now: now}
	// Like a fresh EventStoreDB, whose log starts with system events, so
	// that readers of $all meet events that are not theirs.
	l.write("$epoch-information", []proposed{{id: uuid.New(), eventType: "$epoch-information", contentType: "application/json", data: []byte(`{}`)}})
	return l
}

// proposed is an event an append proposes.
type proposed struct {
	id          uuid.UUID
	eventType   string
	contentType string
	data        []byte
	metadata    []byte
}

// appendEvents checks exp against the stream as EventStoreDB's index
// writer does (CheckCommit) and writes evs unless the append fails or
// repeats an earlier one.
func (l *log) appendEvents(stream string, exp expectation, evs []proposed) appendResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	current := l.current(stream)
	res := l.check(stream, exp, current, evs)
	if res.outcome != written {
		return res
	}
	return l.write(stream, evs)
}

// check decides an append: written (go ahead), idempotent (it repeats the
// events at res.last) or wrongExpectedVersion.
func (l *log) check(stream string, exp expectation, current int64, evs []proposed) appendResult {
	wrong := appendResult{outcome: wrongExpectedVersion, current: current}
	switch exp.kind {
	case expectStreamExists:
		if current < 0 && l.current(metaStream(stream)) < 0 {
			return wrong
		}
		return l.checkCache(stream, current, evs)
	case expectAny:
		return l.checkCache(stream, current, evs)
	}
	expected := int64(-1)
	if exp.kind == expectRevision {
		expected = int64(exp.revision)
	}
	switch {
	case expected > current:
		return wrong
	case expected == current:
		return appendResult{outcome: written, current: current}
	}
	// The stream is past the expected revision: the append is idempotent
	// if it repeats the events after it, in order.
	idx := l.streams[stream]
	for i := range evs {
		n := expected + 1 + int64(i)
		if n <= current && l.records[idx[n]].id == evs[i].id {
			continue
		}
		return wrong // EventStoreDB answers a partial repeat the same way
	}
	lastRec := &l.records[idx[expected+int64(len(evs))]]
	return appendResult{outcome: idempotent, current: current, last: lastRec.number, position: lastRec.position}
}

// checkCache is the idempotency check of an append expecting any revision
// or an existing stream: it looks the ids up in the committed-event cache,
// which knows each id's stream. EventStoreDB's cache is bounded; this one
// holds every id.
func (l *log) checkCache(stream string, current int64, evs []proposed) appendResult {
	var lastRec *record
	for i := range evs {
		at, ok := l.ids[evs[i].id]
		if !ok || l.records[at].stream != stream {
			if i == 0 {
				return appendResult{outcome: written, current: current}
			}
			return appendResult{outcome: wrongExpectedVersion, current: current}
		}
		lastRec = &l.records[at]
	}
	if lastRec == nil {
		return appendResult{outcome: written, current: current}
	}
	return appendResult{outcome: idempotent, current: current, last: lastRec.number, position: lastRec.position}
}

// write appends evs to stream and wakes every subscription. The caller
// holds l.mu, or has l to itself.
func (l *log) write(stream string, evs []proposed) appendResult {
	number := uint64(l.current(stream) + 1)
	created := l.now().UnixNano() / 100
	for i := range evs {
		r := record{
			id: evs[i].id, stream: stream, number: number + uint64(i), eventType: evs[i].eventType,
			contentType: evs[i].contentType, created: created,
			data: evs[i].data, metadata: evs[i].metadata, position: l.next,
		}
		l.next += r.size()
		if _, seen := l.ids[r.id]; !seen {
			l.ids[r.id] = len(l.records)
		}
		l.streams[stream] = append(l.streams[stream], len(l.records))
		l.records = append(l.records, r)
	}
	last := l.records[len(l.records)-1]
	close(l.commit)
	l.commit = make(chan struct{})
	return appendResult{outcome: written, current: int64(last.number), last: last.number, position: last.position}
}

// current returns the stream's revision, -1 if it has no events. The
// caller holds l.mu.
func (l *log) current(stream string) int64 {
	return int64(len(l.streams[stream])) - 1
}

// metaStream names the stream holding a stream's metadata.
func metaStream(stream string) string { return "$$" + stream }

// streamMeta is the part of a stream's metadata the double enforces.
type streamMeta struct {
	MaxCount       *uint64 `json:"$maxCount"`
	TruncateBefore *uint64 `json:"$tb"`
}

// minNumber is the lowest event number of stream a read may return, given
// its metadata's $maxCount and $tb. The caller holds l.mu.
func (l *log) minNumber(stream string) uint64 {
	idx := l.streams[metaStream(stream)]
	if len(idx) == 0 || strings.HasPrefix(stream, "$$") {
		return 0
	}
	var m streamMeta
	if err := json.Unmarshal(l.records[idx[len(idx)-1]].data, &m); err != nil {
		return 0
	}
	var low uint64
	if last := l.current(stream); m.MaxCount != nil && last >= 0 && uint64(last)+1 > *m.MaxCount {
		low = uint64(last) + 1 - *m.MaxCount
	}
	if m.TruncateBefore != nil {
		low = max(low, *m.TruncateBefore)
	}
	return low
}

// waitCommit returns a channel closed at the next commit. The caller holds
// l.mu.
func (l *log) waitCommit() <-chan struct{} { return l.commit }

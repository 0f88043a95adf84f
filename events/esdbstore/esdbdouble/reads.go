package esdbdouble

import "sort"

// streamRead is a read of one stream's events.
type streamRead struct {
	stream  string
	forward bool
	// from is the event number to start at; fromEnd starts a backward read
	// at the stream's last event.
	from    uint64
	fromEnd bool
	count   uint64
}

// readStream returns the events a stream read selects, as EventStoreDB's
// index reader does: the range from..from+count-1 forwards, or
// from-count+1..from backwards (so a backward read starting past the
// stream's end finds nothing, unless its range reaches back into the
// stream), above the lowest event the stream's $maxCount and $tb allow.
// found is false if the stream has no events.
func (l *log) readStream(r streamRead) (out []record, found bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	idx := l.streams[r.stream]
	if len(idx) == 0 || r.count == 0 {
		return nil, len(idx) > 0
	}
	last := uint64(len(idx) - 1)
	low := l.minNumber(r.stream)
	var start, end uint64
	if r.forward {
		start, end = r.from, satAdd(r.from, r.count-1)
	} else {
		end = r.from
		if r.fromEnd {
			end = last
		}
		start = end - min(end, r.count-1)
	}
	start = max(start, low)
	end = min(end, last)
	for n := start; n <= end && end >= start; n++ {
		out = append(out, l.records[idx[n]])
	}
	if !r.forward {
		reverse(out)
	}
	return out, true
}

// allRead is a read of $all.
type allRead struct {
	forward bool
	// from is where the read starts, inclusive forwards and exclusive
	// backwards; fromStart and fromEnd start at either end of the log.
	from      uint64
	fromStart bool
	fromEnd   bool
	count     uint64
	keep      func(*record) bool
}

// readAll returns up to count events of $all that keep accepts, in log
// order or in reverse.
func (l *log) readAll(r allRead) []record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []record
	if r.forward {
		i := l.indexAt(r.from)
		if r.fromStart {
			i = 0
		} else if r.fromEnd {
			i = len(l.records)
		}
		for ; i < len(l.records) && uint64(len(out)) < r.count; i++ {
			if r.keep(&l.records[i]) {
				out = append(out, l.records[i])
			}
		}
		return out
	}
	i := l.indexAt(r.from) - 1
	if r.fromEnd {
		i = len(l.records) - 1
	} else if r.fromStart {
		i = -1
	}
	for ; i >= 0 && uint64(len(out)) < r.count; i-- {
		if r.keep(&l.records[i]) {
			out = append(out, l.records[i])
		}
	}
	return out
}

// indexAt returns the index of the first record at or after log position
// pos. The caller holds l.mu.
func (l *log) indexAt(pos uint64) int {
	return sort.Search(len(l.records), func(i int) bool { return l.records[i].position >= pos })
}

// page returns up to n records from index i on, the index after them, and
// a channel closed at the next commit, for a subscription to wait on when
// the page is empty.
func (l *log) page(i, n int) ([]record, int, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	end := min(i+n, len(l.records))
	if i >= end {
		return nil, i, l.waitCommit()
	}
	return append([]record(nil), l.records[i:end]...), end, l.waitCommit()
}

// head returns the index after the last record and the last record's log
// position (0 for an empty log).
func (l *log) head() (int, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.records) == 0 {
		return 0, 0
	}
	return len(l.records), l.records[len(l.records)-1].position
}

// startIndex returns the index a subscription to $all starting at log
// position pos reads from. Like EventStoreDB, which reads the one event at
// or after pos and continues after it, it skips the first event at or
// after pos: a subscription from an event's position starts after it.
func (l *log) startIndex(pos uint64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return min(l.indexAt(pos)+1, len(l.records))
}

func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}

func reverse(rs []record) {
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
}

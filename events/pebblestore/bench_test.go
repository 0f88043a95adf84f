package pebblestore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hive/events"
	"hive/events/pebblestore"
	"hive/events/storetest"
)

const benchPayloadSize = 200

// BenchmarkFsyncBaseline is the ceiling of a store that fsyncs every event:
// one 200-byte write and one fsync per op, to a bare file.
func BenchmarkFsyncBaseline(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, benchPayloadSize)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := writeSync(f, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

func writeSync(f *os.File, buf []byte) error {
	if _, err := f.Write(buf); err != nil {
		return err
	}
	return f.Sync()
}

// fsyncBaseline measures, once per process, the rate of 200-byte
// write+fsync pairs to a bare file in the temporary directory, so that
// BenchmarkAppend can compare itself with a baseline taken in the same run.
var fsyncBaseline = sync.OnceValues(func() (float64, error) {
	const n = 2000
	dir, err := os.MkdirTemp("", "pebblestore-fsync")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, "fsync"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, benchPayloadSize)
	start := time.Now()
	for range n {
		if err := writeSync(f, buf); err != nil {
			return 0, err
		}
	}
	return n / time.Since(start).Seconds(), nil
})

// BenchmarkAppend measures durable single-event appends, each writer to its
// own stream with exact expected versions. x-fsync-ceiling compares the
// rate with BenchmarkFsyncBaseline's, measured in the same process.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			benchmarkAppend(b, writers)
		})
	}
}

func benchmarkAppend(b *testing.B, writers int) {
	baseline, err := fsyncBaseline()
	if err != nil {
		b.Fatalf("fsync baseline: %v", err)
	}
	s := openStore(b, pebblestore.Config{Dir: b.TempDir()})
	payload := randomPayload(rand.New(rand.NewPCG(1, 1)))
	lat := make([][]time.Duration, writers)
	var ops atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[w] = appendLoop(b, s, fmt.Sprintf("bench-%d", w), payload, &ops, b.N/writers+1)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	rate := float64(len(all)) / elapsed.Seconds()
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(rate/baseline, "x-fsync-ceiling")
}

// appendLoop appends one event at a time to stream until b.N appends have
// been taken by all writers, and returns each append's latency.
func appendLoop(b *testing.B, s events.Store, stream string, payload []byte, ops *atomic.Int64, expect int) []time.Duration {
	lat := make([]time.Duration, 0, expect)
	var version uint64
	for ops.Add(1) <= int64(b.N) {
		id, err := events.NewEventID()
		if err != nil {
			b.Error(err)
			return lat
		}
		ev := []events.Event{{ID: id, Type: "bench.Event", SchemaVersion: 1, Payload: payload}}
		t0 := time.Now()
		res, err := s.Append(context.Background(), stream, events.Exact(version), ev)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Error(err)
			return lat
		}
		version = res.LastVersion
	}
	return lat
}

// BenchmarkReadAll reads a store of readAllEvents events in order, in pages
// of events.MaxReadLimit.
func BenchmarkReadAll(b *testing.B) {
	const readAllEvents = 200_000
	s := openStore(b, pebblestore.Config{Dir: b.TempDir()})
	preload(b, s, readAllEvents)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if n := readAllPages(b, s); n != readAllEvents {
			b.Fatalf("read %d events, want %d", n, readAllEvents)
		}
	}
	b.ReportMetric(float64(b.N*readAllEvents)/time.Since(start).Seconds(), "events/s")
}

// preload appends n events, each with its own random payload of
// benchPayloadSize bytes, in appends of 1,000 events to 100 streams.
func preload(b *testing.B, s events.Store, n int) {
	b.Helper()
	const perAppend = 1000
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i += perAppend {
		evs := make([]events.Event, perAppend)
		for j := range evs {
			id, err := events.NewEventID()
			if err != nil {
				b.Fatal(err)
			}
			evs[j] = events.Event{ID: id, Type: "bench.Event", SchemaVersion: 1, Payload: randomPayload(r),
				Metadata: events.Metadata{CorrelationID: "corr", Principal: "bench"}}
		}
		storetest.MustAppend(b, s, fmt.Sprintf("load-%d", i/perAppend%100), events.Any(), evs)
	}
}

// randomPayload returns benchPayloadSize random bytes: real payloads are
// protobuf messages, which compress far less than zeros.
func randomPayload(r *rand.Rand) []byte {
	p := make([]byte, benchPayloadSize)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// readAllPages reads every event of s in pages of events.MaxReadLimit,
// checking their order, and returns how many it read.
func readAllPages(b *testing.B, s events.Store) int {
	var n int
	var after uint64
	for {
		page, err := s.ReadAll(context.Background(), after, events.MaxReadLimit)
		if err != nil {
			b.Fatal(err)
		}
		if len(page) == 0 {
			return n
		}
		if page[0].Position <= after {
			b.Fatalf("page starts at position %d, after %d", page[0].Position, after)
		}
		n += len(page)
		after = page[len(page)-1].Position
	}
}

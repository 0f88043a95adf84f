package pgstore_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"hive/events"
	"hive/events/pgstore"
	"hive/events/pgstore/pgtest"
)

const benchPayloadSize = 200

// BenchmarkAppend measures durable single-event appends by 64 writers,
// each to its own stream with exact expected versions: with group commit,
// and with one transaction per append (MaxBatchEvents 1) for comparison.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch int
	}{{"writers=64/group-commit", 0}, {"writers=64/commit-per-event", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			url := emptyDatabase(b)
			s := open(b, pgstore.Config{URL: url, MaxBatchEvents: bc.batch, MaxConns: 16})
			settle(b, url)
			lat, elapsed := appendLoad(b, s, 64, nil)
			reportAppends(b, s, lat, elapsed)
		})
	}
}

// settle writes out what earlier work left to write before a measurement
// starts: PostgreSQL's dirty buffers (CHECKPOINT) and the system's dirty
// pages (sync), such as the files initdb wrote without syncing and the
// databases created for earlier rounds. Otherwise their write-back
// competes with the measured commits' fsyncs, and a benchmark's figure
// depends on what ran before it.
func settle(b *testing.B, url string) {
	b.Helper()
	if _, err := openConn(b, url).Exec(context.Background(), "CHECKPOINT"); err != nil {
		b.Fatal(err)
	}
	syscall.Sync()
}

// appendLoad has writers append b.N single events in all and returns each
// append's latency and the time they took. acked, if not nil, is told each
// event's id and when its append returned.
func appendLoad(b *testing.B, s events.Store, writers int, acked func(uuid.UUID, time.Time)) ([]time.Duration, time.Duration) {
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
			lat[w] = appendLoop(b, s, fmt.Sprintf("bench-%d", w), payload, &ops, acked)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	return slices.Concat(lat...), elapsed
}

// appendLoop appends one event at a time to stream until b.N appends have
// been taken by all writers, and returns each append's latency.
func appendLoop(b *testing.B, s events.Store, stream string, payload []byte, ops *atomic.Int64, acked func(uuid.UUID, time.Time)) []time.Duration {
	var lat []time.Duration
	var version uint64
	for ops.Add(1) <= int64(b.N) {
		id, err := events.NewEventID()
		if err != nil {
			b.Error(err)
			return lat
		}
		ev := []events.Event{{ID: id, Type: "bench.Event", SchemaVersion: 1, Payload: payload,
			Metadata: events.Metadata{CorrelationID: "corr", Principal: "bench"}}}
		t0 := time.Now()
		res, err := s.Append(context.Background(), stream, events.Exact(version), ev)
		t1 := time.Now()
		lat = append(lat, t1.Sub(t0))
		if err != nil {
			b.Error(err)
			return lat
		}
		if acked != nil {
			acked(id, t1)
		}
		version = res.LastVersion
	}
	return lat
}

func reportAppends(b *testing.B, s *pgstore.Store, lat []time.Duration, elapsed time.Duration) {
	slices.Sort(lat)
	st := s.Stats()
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(st.Events)/float64(st.Commits), "events/commit")
}

// BenchmarkSubscriberLatency measures how soon subscribers see events
// committed under BenchmarkAppend's load (64 writers): from the moment an
// append returned to the moment a subscriber's Next returned the event.
// The remote subscriber reads through a second Store on the same
// database, as another Hive process does, so it is woken by LISTEN/NOTIFY
// alone; the local one shares the writers' Store.
func BenchmarkSubscriberLatency(b *testing.B) {
	url := pgtest.Shared(b).URL()
	s := open(b, pgstore.Config{URL: url, MaxConns: 16})
	other := open(b, pgstore.Config{URL: url})
	settle(b, url)
	var acks sync.Map // id -> time.Time
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	remote := subscribe(ctx, b, other, &acks)
	local := subscribe(ctx, b, s, &acks)
	lat, elapsed := appendLoad(b, s, 64, func(id uuid.UUID, at time.Time) { acks.Store(id, at) })
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "events/s")
	for _, sub := range []struct {
		name string
		lat  <-chan []time.Duration
	}{{"remote", remote}, {"local", local}} {
		d := <-sub.lat
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, sub.name+"-p50-ms")
		b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, sub.name+"-p99-ms")
	}
}

// subscribe follows s from the start until b.N events and sends each
// event's delay after its append returned (0 if it came first).
func subscribe(ctx context.Context, b *testing.B, s events.Store, acks *sync.Map) <-chan []time.Duration {
	sub, err := s.SubscribeAll(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	out := make(chan []time.Duration, 1)
	go func() {
		defer sub.Close()
		type seen struct {
			id uuid.UUID
			at time.Time
		}
		got := make([]seen, 0, b.N)
		for len(got) < b.N {
			e, err := sub.Next(ctx)
			if err != nil {
				b.Error(err)
				break
			}
			got = append(got, seen{e.ID, time.Now()})
		}
		var d []time.Duration
		for _, g := range got {
			if at, ok := acks.Load(g.id); ok {
				d = append(d, max(0, g.at.Sub(at.(time.Time))))
			}
		}
		if len(d) == 0 {
			d = []time.Duration{0}
		}
		out <- d
	}()
	return out
}

// BenchmarkReadAll reads a store of readAllEvents events in order, in
// pages of events.MaxReadLimit.
func BenchmarkReadAll(b *testing.B) {
	const readAllEvents = 200_000
	url := emptyDatabase(b)
	s := open(b, pgstore.Config{URL: url})
	preload(b, s, readAllEvents)
	settle(b, url)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if n := readAllPages(b, s); n != readAllEvents {
			b.Fatalf("read %d events, want %d", n, readAllEvents)
		}
	}
	b.ReportMetric(float64(b.N*readAllEvents)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkImport restores an archive of importEvents events into an
// empty store, in batches of 10,000, as hive import does.
func BenchmarkImport(b *testing.B) {
	const importEvents = 100_000
	archive := newArchive(importEvents)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		url := emptyDatabase(b)
		s := open(b, pgstore.Config{URL: url})
		settle(b, url)
		b.StartTimer()
		importArchive(b, s, archive)
	}
	b.ReportMetric(float64(b.N*importEvents)/b.Elapsed().Seconds(), "events/s")
}

// preload imports n events of 100 streams.
func preload(b *testing.B, s *pgstore.Store, n int) {
	b.Helper()
	importArchive(b, s, newArchive(n))
}

// newArchive returns n events of 100 streams as a store records them,
// each with its own random payload of benchPayloadSize bytes.
func newArchive(n int) []events.Envelope {
	r := rand.New(rand.NewPCG(1, 2))
	heads := make(map[string]events.Envelope)
	envs := make([]events.Envelope, 0, n)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		stream := fmt.Sprintf("load-%d", i%100)
		prev := heads[stream]
		e := events.Envelope{ID: uuid.Must(events.NewEventID()), Stream: stream, Version: prev.Version + 1,
			Position: uint64(i), Type: "bench.Event", SchemaVersion: 1, RecordedAt: at.Add(time.Duration(i)),
			Payload: randomPayload(r), Metadata: events.Metadata{CorrelationID: "corr", Principal: "bench"}}
		e.Hash = events.ChainHash(prev.Hash, &e)
		heads[stream] = e
		envs = append(envs, e)
	}
	return envs
}

// importArchive imports envs in batches of 10,000.
func importArchive(b *testing.B, s *pgstore.Store, envs []events.Envelope) {
	b.Helper()
	const batch = 10_000
	for i := 0; i < len(envs); i += batch {
		if err := s.Import(context.Background(), envs[i:min(i+batch, len(envs))]); err != nil {
			b.Fatal(err)
		}
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

// BenchmarkPgbenchInsert is PostgreSQL's own ceiling, in the same run and
// on the same throwaway cluster as the other benchmarks: pgbench running
// one single-row INSERT per transaction for pgbenchSeconds, with 1 and 16
// clients. b.N is ignored: one pgbench run is the measurement.
func BenchmarkPgbenchInsert(b *testing.B) {
	const pgbenchSeconds = 5
	srv := pgtest.Shared(b)
	conn := openConn(b, srv.URL())
	if _, err := conn.Exec(context.Background(), "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, payload bytea)"); err != nil {
		b.Fatal(err)
	}
	script := filepath.Join(b.TempDir(), "insert.sql")
	if err := os.WriteFile(script, []byte("INSERT INTO bench_insert (payload) VALUES (decode(repeat('ab', 200), 'hex'));\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	pgbench := pgtest.Program(b, "pgbench")
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			c := strconv.Itoa(clients)
			cmd := exec.Command(pgbench, "-n", "-M", "prepared", "-f", script, "-c", c, "-j", c,
				"-T", strconv.Itoa(pgbenchSeconds), srv.URL())
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Fatalf("pgbench: %v: %s", err, out)
			}
			tps, err := parseTPS(out)
			if err != nil {
				b.Fatalf("pgbench: %v: %s", err, out)
			}
			b.ReportMetric(tps, "tx/s")
		})
	}
}

var tpsLine = regexp.MustCompile(`^tps = ([0-9.]+)`)

// parseTPS finds pgbench's transactions per second in its report.
func parseTPS(out []byte) (float64, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := tpsLine.FindStringSubmatch(sc.Text()); m != nil {
			return strconv.ParseFloat(m[1], 64)
		}
	}
	return 0, fmt.Errorf("no tps line")
}

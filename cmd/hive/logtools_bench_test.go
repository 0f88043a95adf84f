package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"hive/events"
	"hive/events/archive"
	"hive/events/pebblestore"
	"hive/events/pgstore/pgtest"
	hivev1 "hive/proto/hive/v1"
)

// The log the log tools' benchmarks read: benchEvents events in
// benchStreams streams, built once per test process (on first use) in a
// temporary directory that TestMain removes.
const (
	benchEvents  = 1_000_000
	benchStreams = 1000
)

var benchLog struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) != "" {
		os.Args[0] = "hive"
		main()
		os.Exit(0)
	}
	code := pgtest.Main(m) // stops the PostgreSQL cluster that tests share, if they started it
	for _, dir := range []string{benchLog.dir, built.dir} {
		if dir != "" {
			_ = os.RemoveAll(dir) // a temporary directory: nothing to report
		}
	}
	os.Exit(code)
}

// benchDataDir returns the data dir of the benchmark log.
func benchDataDir(b *testing.B) string {
	b.Helper()
	benchLog.once.Do(func() {
		benchLog.dir, benchLog.err = os.MkdirTemp("", "hive-logbench-")
		if benchLog.err == nil {
			benchLog.err = buildBenchLog(b, filepath.Join(benchLog.dir, "events"))
		}
	})
	if benchLog.err != nil {
		b.Fatal(benchLog.err)
	}
	return benchLog.dir
}

// buildBenchLog appends the benchmark log with 8 concurrent writers, each
// appending runs of 500 task-progress events to its streams in turn, so
// that group commit packs about 1000 events into each fsync and streams
// interleave in the log.
func buildBenchLog(b *testing.B, dir string) error {
	s, err := pebblestore.Open(pebblestore.Config{Dir: dir})
	if err != nil {
		return err
	}
	const writers, run = 8, 500
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() { errs[w] = appendBench(s, w, writers, run) })
	}
	wg.Wait()
	if err := errors.Join(errors.Join(errs...), s.Close()); err != nil {
		return err
	}
	return compact(b, dir)
}

// compact flushes and fully compacts the pebble database in dir, as a
// long-running server's background compactions leave it, so that reads
// measure the log tools and not a pile of freshly flushed files.
func compact(b *testing.B, dir string) error {
	db, err := pebble.Open(dir, &pebble.Options{FormatMajorVersion: pebble.FormatValueSeparation, Logger: quietPebble{b}})
	if err != nil {
		return err
	}
	return errors.Join(db.Compact(context.Background(), []byte{0}, []byte{0xff}, true), db.Close())
}

// appendBench appends the runs of writer w of writers.
func appendBench(s *pebblestore.Store, w, writers, run int) error {
	evs := make([]events.Event, run)
	for round := range benchEvents / benchStreams / run {
		for stream := w; stream < benchStreams; stream += writers {
			name := fmt.Sprintf("agent-bench-%04d", stream)
			if err := fillBench(evs, name, round*run); err != nil {
				return err
			}
			if _, err := s.Append(context.Background(), name, events.Exact(uint64(round*run)), evs); err != nil {
				return err
			}
		}
	}
	return nil
}

// fillBench fills evs with progress events of stream from number first.
func fillBench(evs []events.Event, stream string, first int) error {
	for i := range evs {
		typ, payload, err := events.Encode(&hivev1.AgentTaskProgress{AgentId: stream, TaskId: "task-0193a1b2-7c3d", Message: "tests running", Percent: float64((first + i) % 100)})
		if err != nil {
			return err
		}
		id, err := events.NewEventID()
		if err != nil {
			return err
		}
		evs[i] = events.Event{ID: id, Type: typ, SchemaVersion: 1, Payload: payload,
			Metadata: events.Metadata{CorrelationID: "corr-bench", CausationID: "cmd-bench", Principal: "token:bench"}}
	}
	return nil
}

// BenchmarkVerify measures hive verify offline on the benchmark log:
// hash chains, versions, positions and both indexes.
func BenchmarkVerify(b *testing.B) {
	dir := benchDataDir(b)
	src, err := openOfflineLog(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	cpu := cpuTime(b)
	for b.Loop() {
		if err := verifyLog(context.Background(), src, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric((cpuTime(b)-cpu).Seconds()/float64(b.N), "cpu-s/verify")
}

// BenchmarkExport measures hive export offline of the benchmark log, in
// each format, to a discarding writer.
func BenchmarkExport(b *testing.B) {
	dir := benchDataDir(b)
	for _, f := range []archive.Format{archive.Binary, archive.NDJSON} {
		b.Run(string(f), func(b *testing.B) {
			src, err := openOfflineLog(dir, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			cpu := cpuTime(b)
			for b.Loop() {
				n, err := exportLog(context.Background(), src, io.Discard, f)
				if err != nil || n != benchEvents {
					b.Fatalf("exported %d events: %v", n, err)
				}
			}
			b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric((cpuTime(b)-cpu).Seconds()/float64(b.N), "cpu-s/export")
		})
	}
}

// cpuTime is the CPU time the process has used, user and system, on all
// its threads: on a machine shared with other work, it says what a run
// costs when the wall time says how busy the machine was.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

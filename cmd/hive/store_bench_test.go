package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hive/events/archive"
	"hive/events/pgstore/pgtest"
	"hive/http/loadgen"
)

// BenchmarkRegisterAgentHTTP measures POST /v1/agents end to end over
// loopback on each store, in the same run with the same load generator
// (64 connections, closed loop): gin, authentication, the agent's actor,
// the store's group commit (pebble with an fsync; PostgreSQL with a
// transaction committed with fsync on), and the read model the response
// waits for. Every op is a durable registration of a new agent.
func BenchmarkRegisterAgentHTTP(b *testing.B) {
	for _, sc := range storeCases {
		b.Run(sc.name, func(b *testing.B) {
			st := testStore{url: sc.url(b)}
			s := startInProcessWith(b, st.in(b, settings{dataDir: b.TempDir(), heartbeatTimeout: time.Hour}), slog.New(slog.DiscardHandler))
			conns := loadgen.DialFor(b, *s.url.Load(), benchConns)
			register := func(run int) loadgen.Next {
				return func(_, i int) loadgen.Request {
					return loadgen.Request{Method: "POST", Path: "/v1/agents", Bearer: s.token, Want: http.StatusCreated,
						Body: fmt.Appendf(nil, `{"name":"bench-%d-agent-%d","capabilities":["code"],"max_concurrency":1}`, run, i)}
				}
			}
			if _, err := loadgen.Run(conns, benchConns, register(0)); err != nil {
				b.Fatalf("warm-up: %v", err)
			}
			b.ResetTimer()
			res, err := loadgen.Run(conns, b.N, register(1))
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			res.Report(b, "cmds/s")
		})
	}
}

// benchArchive is the benchmark log (benchDataDir) exported once per test
// process, as a binary archive, into the log's temporary directory.
var benchArchive struct {
	once sync.Once
	path string
	err  error
}

// benchArchivePath returns the path of the benchmark log's archive,
// exporting it the first time.
func benchArchivePath(b *testing.B) string {
	b.Helper()
	dir := benchDataDir(b)
	benchArchive.once.Do(func() {
		benchArchive.path = filepath.Join(dir, "log.binary")
		benchArchive.err = exportBenchLog(dir, benchArchive.path)
	})
	if benchArchive.err != nil {
		b.Fatal(benchArchive.err)
	}
	return benchArchive.path
}

// exportBenchLog exports the log of the data dir dir to path.
func exportBenchLog(dir, path string) error {
	src, err := openOfflineLog(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer src.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	n, err := exportLog(context.Background(), src, f, archive.Binary)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != benchEvents {
		err = fmt.Errorf("exported %d events, want %d", n, benchEvents)
	}
	return err
}

// BenchmarkImportIntoPostgres measures hive import --store of the
// benchmark log's archive (1,000,000 events in 1000 streams) into an empty
// PostgreSQL database, as the command does it: the archive verified, its
// events restored as recorded, and the store read back and checked
// against the archive. Each op is one whole import into a new database.
func BenchmarkImportIntoPostgres(b *testing.B) {
	path := benchArchivePath(b)
	cpu := cpuTime(b)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		u, err := parseStoreURL(pgtest.Shared(b).URL())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		n, err := importIntoStore(context.Background(), path, u, slog.New(slog.DiscardHandler))
		if err != nil || n != benchEvents {
			b.Fatalf("imported %d events: %v", n, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric((cpuTime(b)-cpu).Seconds()/float64(b.N), "cpu-s/import")
}

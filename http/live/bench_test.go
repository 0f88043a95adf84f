package live_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"hive/events"
	"hive/projections"
)

// The workload of BenchmarkLiveClients.
const (
	// wantClients is how many live clients to hold, if the file limit
	// allows (each costs two sockets in this one process).
	wantClients = 10_000
	// overviewEvery: every overviewEvery-th client is an overview dashboard
	// following agents and feed; every other one follows its own run.
	overviewEvery = 10
	// eventRate is how many events per second are appended, each to one
	// run's stream, in turn over the runs followed.
	eventRate = 2_000
	// feedEvery: every feedEvery-th event also adds a feed item.
	feedEvery = 100
	// measureFor is how long events are appended in one iteration.
	measureFor = 5 * time.Second
	// appenders append concurrently, as many API requests would.
	appenders = 32
)

// BenchmarkLiveClients holds as many GET /v1/live streams as fit (up to
// 10,000) on one server over loopback HTTP, and reports:
//   - idle-KiB/client: the Go heap and goroutine stacks the idle streams
//     add, server and client sides together (the clients are minimal: a
//     socket, a goroutine and 1.5 KiB of buffers each), after a GC;
//     server-idle-KiB/client subtracts what the same clients cost against a
//     server that only holds their sockets (clientCost);
//   - p50-ms, p99-ms: from the commit of an event to the real store (its
//     Append returned: the event is durable) until a client has read the
//     SSE frame of its change, over every frame delivered, while events are
//     appended at eventRate; the path is the store's subscription, the
//     relay, the bus, the projection runner, the bus, the hub and HTTP (a
//     frame read before its Append returned counts as 0). p99-run-ms and
//     p99-feed-ms split it by topic; apply-p99-ms is the way from the
//     commit to the projection's Apply (store, relay, bus, runner), before
//     the hub, and live-p99-ms the rest, from the Apply to the client
//     (runner, bus, hub, HTTP); append-p99-ms is the Append itself (the
//     group commit);
//   - events/s appended, frames/s delivered, and resyncs (should be 0).
//
// The clients are dashboards: one in overviewEvery follows agents and feed
// (the benchmark's projection changes no agent), the others one run each.
// Each event changes its run (one frame, to one client), and in the mix
// every feedEvery-th event also adds a feed item (a frame to every feed
// client): at 2,000 events/s and 10,000 clients, 20 feed items/s fanned
// out to 1,000 clients, 22,000 frames/s. The figures prefixed runs-only-
// are the same load without feed items: 2,000 frames/s.
func BenchmarkLiveClients(b *testing.B) {
	limit := raiseFileLimit(b)
	s := startBenchServer(b)
	defer s.stop()
	n := min(wantClients, (int(limit)-openFiles(b)-100)/2)
	topics, runs := clientTopics(n)
	clientSide := clientCost(b, topics)
	before, g0 := memInUse(), runtime.NumGoroutine()
	fleet := connectFleet(b, s.addr, s.viewer, topics)
	defer fleet.close()
	after := memInUse()
	idle := heapAndStacks(before, after)
	goroutines := runtime.NumGoroutine() - g0
	for b.Loop() {
		// The mix, then the same events with no feed items: each change
		// goes to one client only.
		for _, phase := range []struct {
			prefix string
			every  uint64
		}{{"", feedEvery}, {"runs-only-", 0}} {
			s.feed.feedEvery.Store(phase.every)
			load := appendLoad(b, s, runs, phase.every)
			fleet.await(b, load.expected(len(topics)-len(runs)), 10*time.Second)
			report(b, phase.prefix, load, fleet.latencies(load, s.feed), s.feed)
		}
		b.ReportMetric(float64(fleet.resyncs.Load()), "resyncs")
	}
	// b.Loop drops the metrics reported before it.
	b.ReportMetric(float64(n), "clients")
	b.ReportMetric(float64(n-len(runs)), "feed-clients")
	b.ReportMetric(idle/float64(n)/1024, "idle-KiB/client")
	b.ReportMetric((idle-clientSide)/float64(n)/1024, "server-idle-KiB/client")
	b.ReportMetric(float64(goroutines)/float64(n), "goroutines/client")
}

// report reports one load's figures, their names starting with prefix.
func report(b *testing.B, prefix string, l *load, lat latencies, p *runFeed) {
	b.ReportMetric(l.rate, prefix+"events/s")
	b.ReportMetric(float64(len(lat.all))/l.elapsed.Seconds(), prefix+"frames/s")
	b.ReportMetric(ms(quantile(lat.all, 0.50)), prefix+"p50-ms")
	b.ReportMetric(ms(quantile(lat.all, 0.99)), prefix+"p99-ms")
	b.ReportMetric(ms(quantile(lat.fromApply, 0.99)), prefix+"live-p99-ms")
	b.ReportMetric(ms(quantile(l.appliedTimes(p), 0.99)), prefix+"apply-p99-ms")
	b.ReportMetric(ms(quantile(l.appendTimes(), 0.99)), prefix+"append-p99-ms")
	if prefix == "" {
		b.ReportMetric(ms(quantile(lat.run, 0.99)), "p99-run-ms")
		b.ReportMetric(ms(quantile(lat.feed, 0.99)), "p99-feed-ms")
	}
}

// raiseFileLimit raises the soft limit on open files to the hard one and
// returns it.
func raiseFileLimit(b *testing.B) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	return lim.Cur
}

// openFiles is how many files the process has open.
func openFiles(b *testing.B) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		b.Fatal(err)
	}
	return len(entries)
}

// clientTopics returns each client's topics, and the runs followed.
func clientTopics(n int) (topics, runs []string) {
	topics = make([]string, n)
	for i := range topics {
		if i%overviewEvery == 0 {
			topics[i] = projections.TopicAgents + "," + projections.TopicFeed
			continue
		}
		id := uuid.NewString()
		runs = append(runs, id)
		topics[i] = projections.RunTopic(id)
	}
	return topics, runs
}

// heapAndStacks is how many more bytes of heap and goroutine stacks are in
// use in after than in before.
func heapAndStacks(before, after runtime.MemStats) float64 {
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) + float64(int64(after.StackInuse)-int64(before.StackInuse))
}

func memInUse() runtime.MemStats {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// quantile is the q-quantile of ds, which it sorts.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

// load is one iteration's appended events: when each Append started and
// ended, by position, since base.
type load struct {
	base       time.Time
	first      uint64 // position of the first event appended
	start, end []atomic.Int64
	feeds      int // events that also made a feed item
	elapsed    time.Duration
	rate       float64
}

// expected is how many frames the clients should get: one per event for
// its run's client, and one per feed item for each feed client.
func (l *load) expected(feedClients int) int { return len(l.start) + l.feeds*feedClients }

func (l *load) appendTimes() []time.Duration {
	ds := make([]time.Duration, len(l.start))
	for i := range l.start {
		ds[i] = time.Duration(l.end[i].Load() - l.start[i].Load())
	}
	return ds
}

// appliedTimes are how long each event took from its commit (its Append
// returned) to the projection's Apply: the store's subscription, the
// relay, the bus and the runner.
func (l *load) appliedTimes(p *runFeed) []time.Duration {
	var ds []time.Duration
	for i := range l.start {
		if at, ok := p.appliedAt.LoadAndDelete(l.first + uint64(i)); ok {
			ds = append(ds, max(0, at.(time.Time).Sub(l.base)-time.Duration(l.end[i].Load())))
		}
	}
	return ds
}

// appendLoad appends measureFor*eventRate events at eventRate, from
// appenders goroutines, one event per Append, to the runs in turn; the
// projection makes a feed item of every feedEvery-th (none if 0).
func appendLoad(b *testing.B, s *benchServer, runs []string, feedEvery uint64) *load {
	ctx := context.Background()
	head, err := s.store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	total := int(measureFor.Seconds() * eventRate)
	l := &load{base: time.Now(), first: head + 1, start: make([]atomic.Int64, total), end: make([]atomic.Int64, total)}
	jobs := make(chan int, total)
	var wg sync.WaitGroup
	for range appenders {
		wg.Go(func() {
			for k := range jobs {
				t0 := time.Since(l.base)
				id, err := events.NewEventID()
				if err != nil {
					b.Error(err)
					return
				}
				res, err := s.store.Append(ctx, runs[k%len(runs)], events.Any(), []events.Event{{ID: id, Type: benchEventType, SchemaVersion: 1}})
				if err != nil {
					b.Error(err)
					return
				}
				i := res.LastPosition - l.first
				l.start[i].Store(int64(t0))
				l.end[i].Store(int64(time.Since(l.base)))
			}
		})
	}
	pace(jobs, total)
	close(jobs)
	wg.Wait()
	l.elapsed = time.Since(l.base)
	l.rate = float64(total) / l.elapsed.Seconds()
	for i := range total {
		if feedEvery != 0 && (l.first+uint64(i))%feedEvery == 0 {
			l.feeds++
		}
	}
	return l
}

// pace sends 0..total-1 on jobs at eventRate.
func pace(jobs chan<- int, total int) {
	start := time.Now()
	for sent := 0; sent < total; time.Sleep(time.Millisecond) {
		due := min(total, int(time.Since(start).Seconds()*eventRate))
		for ; sent < due; sent++ {
			jobs <- sent
		}
	}
}

// fleet is the live clients.
type fleet struct {
	clients  []*liveClient
	wg       sync.WaitGroup
	received atomic.Int64
	resyncs  atomic.Int64
	base     time.Time
}

// liveClient is one stream's client: what it read, when.
type liveClient struct {
	conn    net.Conn
	samples []sample
}

type sample struct {
	position uint64
	at       time.Duration // since the fleet's base
}

// connectFleet opens one stream per topics entry, a few at a time, and
// returns once every stream said hello.
func connectFleet(b *testing.B, addr, bearer string, topics []string) *fleet {
	f := &fleet{clients: make([]*liveClient, len(topics)), base: time.Now()}
	sem := make(chan struct{}, 64)
	var hello sync.WaitGroup
	for i, t := range topics {
		sem <- struct{}{}
		hello.Add(1)
		f.wg.Go(func() {
			c, body, err := dialLive(addr, bearer, t)
			if err == nil {
				f.clients[i] = c
			}
			hello.Done()
			<-sem
			if err != nil {
				b.Errorf("client %d: %v", i, err)
				return
			}
			f.read(c, body)
		})
	}
	hello.Wait()
	return f
}

// dialLive opens a stream and reads its hello.
func dialLive(addr, bearer, topics string) (*liveClient, *bufio.Reader, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if _, err := fmt.Fprintf(conn, "GET /v1/live?topics=%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", topics, addr, bearer); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), nil)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET /v1/live: %s", resp.Status)
	}
	body := bufio.NewReaderSize(resp.Body, 512)
	for {
		line, err := body.ReadSlice('\n')
		if err != nil {
			return nil, nil, fmt.Errorf("read hello: %w", err)
		}
		if string(line) == "\n" {
			return &liveClient{conn: conn}, body, nil
		}
	}
}

// read records when each change arrives, until the connection closes.
func (f *fleet) read(c *liveClient, body *bufio.Reader) {
	for {
		line, err := body.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return
		case bytes.HasPrefix(line, []byte("event: resync")):
			f.resyncs.Add(1)
		case bytes.HasPrefix(line, []byte("data: ")):
			if pos, ok := positionOf(line); ok {
				c.samples = append(c.samples, sample{pos, time.Since(f.base)})
				f.received.Add(1)
			}
		}
	}
}

// positionOf reads the change's "position" from its data line.
func positionOf(line []byte) (uint64, bool) {
	const key = `"position":`
	i := bytes.Index(line, []byte(key))
	if i < 0 {
		return 0, false
	}
	var pos uint64
	digits := 0
	for _, c := range line[i+len(key):] {
		if c < '0' || c > '9' {
			break
		}
		pos, digits = pos*10+uint64(c-'0'), digits+1
	}
	return pos, digits > 0
}

// await waits until the clients have received n frames in all (since
// the last await), failing after timeout.
func (f *fleet) await(b *testing.B, n int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for f.received.Load() < int64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("clients received %d frames of %d in time", f.received.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.received.Add(-int64(n))
}

// latencies are the delivery latencies of l's frames, by topic, and from
// the projection's Apply (the live path: runner, bus, hub, HTTP).
type latencies struct{ all, run, feed, fromApply []time.Duration }

// latencies returns how long each frame of l took, from its commit (its
// Append returned) to its arrival, and forgets the samples.
func (f *fleet) latencies(l *load, p *runFeed) latencies {
	var lat latencies
	shift := l.base.Sub(f.base)
	for i, c := range f.clients {
		for _, s := range c.samples {
			k := s.position - l.first
			if s.position < l.first || k >= uint64(len(l.start)) {
				continue
			}
			d := max(0, s.at-shift-time.Duration(l.end[k].Load()))
			lat.all = append(lat.all, d)
			if at, ok := p.appliedAt.Load(s.position); ok {
				lat.fromApply = append(lat.fromApply, max(0, f.base.Add(s.at).Sub(at.(time.Time))))
			}
			if i%overviewEvery == 0 {
				lat.feed = append(lat.feed, d)
			} else {
				lat.run = append(lat.run, d)
			}
		}
		c.samples = c.samples[:0]
	}
	return lat
}

// close closes every stream and waits for the readers.
func (f *fleet) close() {
	for _, c := range f.clients {
		if c != nil {
			_ = c.conn.Close()
		}
	}
	f.wg.Wait()
}

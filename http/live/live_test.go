package live_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/prometheus/client_golang/prometheus"

	"hive/http/live"
	"hive/projections"
)

const topic = "hive.changes"

// bench is a running hub on an in-process bus, and what it was built with.
type bench struct {
	hub *live.Hub
	bus *gochannel.GoChannel
	reg *prometheus.Registry
	// stop stops the hub's Run and waits for it.
	stop func()
	pos  uint64
}

// startHub runs a hub with cfg (Subscriber, Topic and Registerer filled in)
// until the test ends.
func startHub(t *testing.T, cfg live.Config) *bench {
	t.Helper()
	b := &bench{bus: gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, nil), reg: prometheus.NewRegistry()}
	cfg.Subscriber, cfg.Topic, cfg.Registerer = b.bus, topic, b.reg
	hub, err := live.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.hub = hub
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- hub.Run(ctx) }()
	// Subscribe returns once Run subscribed to the bus: from then on, no
	// change published is lost.
	sub, err := hub.Subscribe(ctx, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	sub.Close()
	var once sync.Once
	b.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(b.stop)
	t.Cleanup(func() { _ = b.bus.Close() })
	return b
}

// publish publishes one message of changes of the topics, one change each,
// as the projection runner does, and returns once the hub acknowledged it.
func (b *bench) publish(t *testing.T, topics ...string) {
	t.Helper()
	if err := b.send(topics...); err != nil {
		t.Fatal(err)
	}
}

// send is publish for any goroutine.
func (b *bench) send(topics ...string) error {
	b.pos++
	changes := make([]projections.Change, len(topics))
	for i, tp := range topics {
		changes[i] = projections.Change{Topic: tp, Position: b.pos, Op: projections.OpUpsert, ID: strconv.Itoa(i),
			Data: json.RawMessage(`{"n":` + strconv.FormatUint(b.pos, 10) + `}`)}
	}
	msg := projections.NewChangesMessage(strconv.FormatUint(b.pos, 10), b.pos, changes)
	return b.bus.Publish(topic, msg)
}

// event is one server-sent event as a client parses it.
type event struct {
	id, name, data string
}

// client reads one stream, through a pipe: a client that does not read
// holds up the writer, as a slow network would.
type client struct {
	events chan event
	cancel context.CancelFunc
	// done is closed when Stream returned err.
	done chan struct{}
	err  error
}

// pipeSink is a Sink over a pipe.
type pipeSink struct{ *io.PipeWriter }

func (pipeSink) Flush() error { return nil }

// connect subscribes and streams the subscription to a new client; the
// client parses events only while the test reads them.
func (b *bench) connect(t *testing.T, lastID string, topics ...string) *client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := b.hub.Subscribe(ctx, topics, lastID)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r, w := io.Pipe()
	c := &client{events: make(chan event), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.err = sub.Stream(ctx, pipeSink{w})
		_ = w.Close()
	}()
	go parse(ctx, r, c.events)
	t.Cleanup(func() {
		cancel()
		_ = r.Close()
		<-c.done
	})
	return c
}

// parse sends the events read from r on out, until r ends; comments are
// events named ":".
func parse(ctx context.Context, r io.Reader, out chan<- event) {
	defer close(out)
	sc := bufio.NewScanner(r)
	var e event
	for sc.Scan() {
		line := sc.Text()
		field, value, _ := strings.Cut(line, ": ")
		switch {
		case line == "":
			select {
			case out <- e:
			case <-ctx.Done():
				return
			}
			e = event{}
		case strings.HasPrefix(line, ":"):
			e.name = ":"
		case field == "id":
			e.id = value
		case field == "event":
			e.name = value
		case field == "data":
			e.data = value
		}
	}
}

// next returns the client's next event, failing the test after a while.
func (c *client) next(t *testing.T) event {
	t.Helper()
	select {
	case e, ok := <-c.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event in 5 s")
	}
	return event{}
}

// changes reads n change events and returns them.
func (c *client) changes(t *testing.T, n int) []event {
	t.Helper()
	var got []event
	for len(got) < n {
		if e := c.next(t); e.name == "change" {
			got = append(got, e)
		}
	}
	return got
}

// ended waits for the stream's end, failing if another event comes first.
func (c *client) ended(t *testing.T) {
	t.Helper()
	select {
	case e, ok := <-c.events:
		if ok {
			t.Fatalf("event %+v, want the stream's end", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end in 5 s")
	}
}

// hello reads the hello event and returns its last_id.
func (c *client) hello(t *testing.T) string {
	t.Helper()
	e := c.next(t)
	var h struct {
		Epoch  string `json:"epoch"`
		LastID string `json:"last_id"`
	}
	if e.name != "hello" || json.Unmarshal([]byte(e.data), &h) != nil || !strings.HasPrefix(h.LastID, h.Epoch+"-") {
		t.Fatalf("first event %+v, want a hello", e)
	}
	return h.LastID
}

// change decodes a change event.
func change(t *testing.T, e event) projections.Change {
	t.Helper()
	var ch projections.Change
	if err := json.Unmarshal([]byte(e.data), &ch); err != nil {
		t.Fatalf("change %+v: %v", e, err)
	}
	return ch
}

// value is the value of the hub's metric name, with the label reason if
// it is not empty.
func (b *bench) value(t *testing.T, name, reason string) float64 {
	t.Helper()
	families, err := b.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if reason != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != reason) {
				continue
			}
			return m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return 0
}

// seq is the seq of an event id.
func seq(t *testing.T, id string) uint64 {
	t.Helper()
	_, s, _ := strings.Cut(id, "-")
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("event id %q: %v", id, err)
	}
	return n
}

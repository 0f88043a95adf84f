package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"hive/http/live"
	"hive/projections"
)

var (
	runA = projections.RunTopic("0197a0c4-7b1e-7c2d-8e3f-4a5b6c7d8e9f")
	runB = projections.RunTopic("0197a0c4-7b1e-7c2d-8e3f-4a5b6c7d8ea0")
)

func TestResumeAcrossReconnectsHasNoGapAndNoDuplicate(t *testing.T) {
	b := startHub(t, live.Config{Ring: 1000})
	var got []uint64 // the positions received, over three connections
	c := b.connect(t, "", runA)
	lastID := c.hello(t)
	for round := range 3 {
		for range 10 {
			b.publish(t, runA, projections.TopicAgents)
			b.publish(t, runB)
		}
		if round > 0 {
			c = b.connect(t, lastID, runA)
			c.hello(t)
		}
		for _, e := range c.changes(t, 7) { // the rest stays unread
			if seq(t, e.id) <= seq(t, lastID) {
				t.Fatalf("round %d: %s after %s", round, e.id, lastID)
			}
			ch := change(t, e)
			if ch.Topic != runA {
				t.Fatalf("round %d: a change of %s on a stream of %s", round, ch.Topic, runA)
			}
			got, lastID = append(got, ch.Position), e.id
		}
		c.cancel()
	}
	// Every runA change was published with the next odd position.
	for i, pos := range got {
		if want := uint64(2*i + 1); pos != want {
			t.Fatalf("positions received %v: at %d %d, want %d", got, i, pos, want)
		}
	}
	if len(got) != 21 {
		t.Fatalf("received %d changes, want 21", len(got))
	}
}

// TestResumeWhilePublishing reconnects over and over while changes keep
// coming: every stream goes on exactly after the id it resumed from.
func TestResumeWhilePublishing(t *testing.T) {
	b := startHub(t, live.Config{Ring: 1000})
	const total = 500
	published := make(chan error, 1)
	go func() {
		for range total {
			if err := b.send(projections.TopicFeed); err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()
	lastID, last := "", uint64(0)
	for round := 0; last < total; round++ {
		c := b.connect(t, lastID, projections.TopicFeed)
		if hello := c.hello(t); lastID == "" { // a new stream goes on after the hello's last_id
			lastID, last = hello, seq(t, hello)
		}
		for _, e := range c.changes(t, min(1+round%7, int(total-last))) {
			if seq(t, e.id) != last+1 {
				t.Fatalf("round %d: %s after seq %d", round, e.id, last)
			}
			lastID, last = e.id, last+1
		}
		c.cancel()
	}
	if err := <-published; err != nil {
		t.Fatal(err)
	}
}

func TestChangesAreNumberedInOrderOverAllTopics(t *testing.T) {
	b := startHub(t, live.Config{})
	c := b.connect(t, "", runA, projections.TopicFeed)
	c.hello(t)
	b.publish(t, runA, projections.TopicFeed, runB, runA)
	b.publish(t, projections.TopicFeed)
	var ids []uint64
	for _, e := range c.changes(t, 4) {
		ids = append(ids, seq(t, e.id))
	}
	if want := []uint64{1, 2, 4, 5}; !slices.Equal(ids, want) {
		t.Fatalf("seqs %v, want %v (3 is runB's)", ids, want)
	}
}

func TestTopicFiltering(t *testing.T) {
	b := startHub(t, live.Config{})
	agents := b.connect(t, "", projections.TopicAgents)
	feed := b.connect(t, "", projections.TopicFeed)
	both := b.connect(t, "", projections.TopicFeed, projections.TopicAgents)
	for _, c := range []*client{agents, feed, both} {
		c.hello(t)
	}
	b.publish(t, projections.TopicSwarms, projections.TopicAgents)
	b.publish(t, projections.TopicFeed, runA)
	b.publish(t, projections.TopicAgents)
	for _, tc := range []struct {
		name   string
		c      *client
		topics []string
	}{
		{"agents", agents, []string{"agents", "agents"}},
		{"feed", feed, []string{"feed"}},
		{"feed and agents", both, []string{"agents", "feed", "agents"}},
	} {
		var got []string
		for _, e := range tc.c.changes(t, len(tc.topics)) {
			got = append(got, change(t, e).Topic)
		}
		if strings.Join(got, ",") != strings.Join(tc.topics, ",") {
			t.Errorf("%s: topics %v, want %v", tc.name, got, tc.topics)
		}
	}
	// Nothing else is on the way: the next change of agents comes next.
	b.publish(t, projections.TopicPrincipals, projections.TopicAgents)
	if ch := change(t, agents.changes(t, 1)[0]); ch.Position != 4 {
		t.Errorf("agents' next change %+v, want the one at position 4", ch)
	}
}

// TestChangesAreRoutedByTheTopicsTheirMessageLists: the hub takes each
// change's topic from its message's metadata, not from its JSON, and skips
// a message whose metadata does not fit its payload, numbering none of its
// changes.
func TestChangesAreRoutedByTheTopicsTheirMessageLists(t *testing.T) {
	b := startHub(t, live.Config{})
	c := b.connect(t, "", runA)
	c.hello(t)
	unlisted := message.NewMessage("unlisted", []byte(`[{"topic":"`+runA+`","position":1,"op":"upsert","id":"x"}]`))
	if err := b.bus.Publish(topic, unlisted); err != nil {
		t.Fatal(err)
	}
	listed := projections.NewChangesMessage("listed", 2, []projections.Change{
		{Topic: runA, Position: 2, Op: projections.OpUpsert, ID: "y", Data: json.RawMessage(`{"topic":"feed"}`)},
	})
	if err := b.bus.Publish(topic, listed); err != nil {
		t.Fatal(err)
	}
	e := c.changes(t, 1)[0]
	if ch := change(t, e); seq(t, e.id) != 1 || ch.Position != 2 || ch.ID != "y" {
		t.Fatalf("first change %+v with id %s, want the listed one, numbered 1", ch, e.id)
	}
}

func TestResumeThatCannotBeServedGetsResync(t *testing.T) {
	b := startHub(t, live.Config{Ring: 4})
	for range 10 {
		b.publish(t, runA)
	}
	epoch := b.hub.Epoch()
	for _, tc := range []struct {
		name, lastID, reason string
		changes              int // when it resumes
	}{
		{"the newest", epoch + "-10", "", 0},
		{"the oldest one kept follows", epoch + "-6", "", 4},
		{"too old", epoch + "-5", live.ReasonTooOld, 0},
		{"another epoch", "ABCDEF-9", live.ReasonUnknownID, 0},
		{"ahead of the hub", epoch + "-11", live.ReasonUnknownID, 0},
		{"malformed", "nine", live.ReasonUnknownID, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := b.connect(t, tc.lastID, runA)
			if tc.reason != "" {
				if e := c.next(t); e.name != "resync" || !strings.Contains(e.data, `"reason":"`+tc.reason+`"`) {
					t.Fatalf("event %+v, want a resync for %s", e, tc.reason)
				}
				c.ended(t)
				return
			}
			c.hello(t)
			for i, e := range c.changes(t, tc.changes) {
				if want := uint64(11 - tc.changes + i); seq(t, e.id) != want {
					t.Fatalf("change %d has id %s, want seq %d", i, e.id, want)
				}
			}
		})
	}
	if n := b.value(t, "hive_live_clients_dropped_total", live.ReasonUnknownID); n != 3 {
		t.Errorf("dropped for unknown ids: %v, want 3", n)
	}
}

func TestSlowClientIsDroppedWithoutSlowingOthers(t *testing.T) {
	b := startHub(t, live.Config{ClientBuffer: 8})
	slow := b.connect(t, "", projections.TopicFeed)
	fast := b.connect(t, "", projections.TopicFeed)
	slow.hello(t)
	fast.hello(t)
	// publish returns once the hub acknowledged the change: it would hang
	// if the hub waited for the slow client.
	for i := range 100 {
		b.publish(t, projections.TopicFeed)
		if ch := change(t, fast.changes(t, 1)[0]); ch.Position != uint64(i+1) {
			t.Fatalf("fast client: change %d at position %d", i, ch.Position)
		}
	}
	var last event
	for last = slow.next(t); last.name == "change"; last = slow.next(t) {
	}
	if last.name != "resync" || !strings.Contains(last.data, live.ReasonSlow) {
		t.Fatalf("the slow client's last event %+v, want a resync", last)
	}
	slow.ended(t)
	if n := b.value(t, "hive_live_clients_dropped_total", live.ReasonSlow); n != 1 {
		t.Errorf("dropped as slow: %v, want 1", n)
	}
	if n := b.value(t, "hive_live_clients", ""); n != 1 {
		t.Errorf("clients: %v, want 1 (the fast one)", n)
	}
}

func TestHeartbeat(t *testing.T) {
	b := startHub(t, live.Config{Heartbeat: 10 * time.Millisecond})
	c := b.connect(t, "", projections.TopicQueue)
	c.hello(t)
	if e := c.next(t); e.name != ":" {
		t.Fatalf("event %+v on an idle stream, want a ping", e)
	}
}

func TestStopEndsEveryStream(t *testing.T) {
	b := startHub(t, live.Config{})
	c := b.connect(t, "", projections.TopicAgents)
	c.hello(t)
	b.stop()
	c.ended(t)
	<-c.done
	if err := c.err; err != nil {
		t.Errorf("stream: %v", err)
	}
	if _, err := b.hub.Subscribe(context.Background(), []string{"agents"}, ""); !errors.Is(err, live.ErrClosed) {
		t.Fatalf("subscribe after stop: %v, want ErrClosed", err)
	}
}

func TestParseTopics(t *testing.T) {
	for _, tc := range []struct {
		name, list string
		want       []string // nil: invalid
	}{
		{"named", "agents,swarms,runs,queue,throughput,feed,principals", []string{"agents", "swarms", "runs", "queue", "throughput", "feed", "principals"}},
		{"a run", runA + ", feed", []string{runA, "feed"}},
		{"repeats", "feed,feed", []string{"feed"}},
		{"empty", "", nil},
		{"blank entry", "agents,", nil},
		{"unknown", "agents,tokens", nil},
		{"run id not a uuid", "workflows/abc", nil},
		{"run id not canonical", projections.RunTopic(strings.ToUpper(runA[len("workflows/"):])), nil},
		{"bare prefix", "workflows/", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := live.ParseTopics(tc.list)
			if tc.want == nil {
				if !errors.Is(err, live.ErrInvalidTopics) {
					t.Fatalf("ParseTopics(%q) = %v, %v; want ErrInvalidTopics", tc.list, got, err)
				}
				return
			}
			if err != nil || strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("ParseTopics(%q) = %v, %v; want %v", tc.list, got, err, tc.want)
			}
		})
	}
}

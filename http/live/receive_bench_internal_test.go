package live

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/prometheus/client_golang/prometheus"

	"hive/projections"
)

// BenchmarkHubReceive measures the hub taking in one message of changes as
// the projection runner publishes it for a task completed in a workflow
// run: seven changes, among them the run's detail (about 3 KiB of JSON),
// each routed to the clients of its topic (one each here). changes/s is
// the figure to keep high.
func BenchmarkHubReceive(b *testing.B) {
	h, err := New(Config{Subscriber: gochannel.NewGoChannel(gochannel.Config{}, nil), Topic: "changes", Registerer: prometheus.NewRegistry(), ClientBuffer: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	msg, n := taskCompletedChanges(b)
	for _, topic := range []string{projections.TopicSwarms, projections.TopicQueue, projections.TopicAgents, projections.TopicRuns,
		projections.TopicThroughput, projections.TopicFeed, benchRunTopic} {
		h.subs[&Subscription{}] = struct{}{}
		s := &Subscription{hub: h, topics: []string{topic}, queue: newQueue(1 << 30), gone: make(chan struct{})}
		h.byTopic[topic] = map[*Subscription]struct{}{s: {}}
	}
	for b.Loop() {
		h.receive(msg)
		for _, subs := range h.byTopic {
			for s := range subs {
				s.queue.take(nil)
			}
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "changes/s")
}

var benchRunTopic = projections.RunTopic("0197a0c4-7b1e-7c2d-8e3f-4a5b6c7d8e9f")

// taskCompletedChanges is the message of changes of a task completed in a
// ten-step run, and how many changes it holds.
func taskCompletedChanges(b *testing.B) (*message.Message, int) {
	step := func(i int) map[string]any {
		return map[string]any{"id": "s" + strconv.Itoa(i), "capability": "code", "status": "completed", "attempts": 1,
			"task_id": "0197a0c4-7b1e-7c2d-8e3f-4a5b6c7d" + strconv.Itoa(1000+i), "agent_id": "agent-3f2a9c", "depends_on": []string{"s" + strconv.Itoa(i-1)},
			"output": map[string]any{"ok": true, "note": "done, with \"quotes\", commas, and {braces}"}, "started_at": "2026-11-22T08:00:00Z", "ended_at": "2026-11-22T08:00:01Z"}
	}
	steps := make([]any, 10)
	for i := range steps {
		steps[i] = step(i)
	}
	rows := []struct {
		topic string
		data  any
	}{
		{projections.TopicSwarms, map[string]any{"id": "swarm-1", "name": "crew", "topology": "mesh", "status": "active", "members": 8, "queued": 12, "running": 8,
			"roles": map[string]int{"worker": 8}, "usage": map[string]int{"input_tokens": 120000, "output_tokens": 30000, "cost_micros": 900}}},
		{projections.TopicQueue, map[string]any{"swarm_id": "swarm-1", "queued": 12, "assigned": 8, "retrying": 0}},
		{projections.TopicAgents, map[string]any{"id": "agent-3f2a9c", "name": "worker-3", "status": "busy", "capabilities": []string{"code", "review"},
			"max_concurrency": 4, "running": 3, "swarm_id": "swarm-1", "last_heartbeat": "2026-11-22T08:00:01Z"}},
		{projections.TopicRuns, map[string]any{"id": "0197a0c4-7b1e-7c2d-8e3f-4a5b6c7d8e9f", "name": "seq10", "status": "running", "steps": 10, "completed": 4,
			"started_at": "2026-11-22T08:00:00Z"}},
		{projections.TopicThroughput, map[string]any{"minute": "2026-11-22T08:00:00Z", "completed": 1200, "failed": 3}},
		{projections.TopicFeed, map[string]any{"id": "f-1", "text": "worker-3 completed s4 of seq10", "at": "2026-11-22T08:00:01Z"}},
		{benchRunTopic, map[string]any{"id": "0197a0c4-7b1e-7c2d-8e3f-4a5b6c7d8e9f", "name": "seq10", "status": "running", "steps": steps}},
	}
	changes := make([]projections.Change, len(rows))
	for i, r := range rows {
		data, err := json.Marshal(r.data)
		if err != nil {
			b.Fatal(err)
		}
		changes[i] = projections.Change{Topic: r.topic, Position: 4711, Op: projections.OpUpsert, ID: strconv.Itoa(i), Data: data}
	}
	msg := projections.NewChangesMessage("bench", 4711, changes)
	return msg, len(changes)
}

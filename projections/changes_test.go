package projections_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"hive/projections"
)

// follow applies the fleet's history one event at a time to p, as the
// runner delivers live events, and keeps per topic and id the data of the
// newest change, as a live client does.
func follow(t *testing.T, p projections.Live) map[string]map[string]string {
	t.Helper()
	rows := map[string]map[string]string{}
	log := everything(t)
	for i, env := range log {
		applyAll(t, p, log[i:i+1])
		changes, err := p.Changed(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range changes {
			if c.Position != env.Position || c.Op != projections.OpUpsert {
				t.Fatalf("change %+v of the event at %d", c, env.Position)
			}
			if rows[c.Topic] == nil {
				rows[c.Topic] = map[string]string{}
			}
			rows[c.Topic][c.ID] = string(c.Data)
		}
	}
	return rows
}

// same checks that the live rows of topic are exactly want, by id.
func same(t *testing.T, live map[string]map[string]string, topic string, want map[string]any) {
	t.Helper()
	if len(live[topic]) != len(want) {
		t.Fatalf("%s: %d live rows, want %d", topic, len(live[topic]), len(want))
	}
	for id, row := range want {
		if got := live[topic][id]; got != asJSON(t, row) {
			t.Fatalf("%s %s: live row\n%s\nwant\n%s", topic, id, got, asJSON(t, row))
		}
	}
}

func TestChangesFollowTheViews(t *testing.T) {
	t.Run("agents", func(t *testing.T) {
		a := projections.NewAgents()
		live := follow(t, a)
		want := map[string]any{}
		for _, ag := range a.All() {
			want[ag.ID] = ag
		}
		same(t, live, projections.TopicAgents, want)
	})
	t.Run("swarms", func(t *testing.T) {
		s := projections.NewSwarms()
		live := follow(t, s)
		want := map[string]any{}
		for _, row := range s.All() {
			want[row.ID] = row
		}
		if row, _ := s.Get(brief); row.Status != "dissolved" || row.Topology != "star" || row.MaxSize != 3 || len(row.Members) != 0 {
			t.Fatalf("the swarm changed and dissolved = %+v", row)
		}
		same(t, live, projections.TopicSwarms, want)
	})
	t.Run("runs", func(t *testing.T) {
		r := projections.NewRuns()
		live := follow(t, r)
		rows := map[string]any{}
		for _, d := range r.All() {
			rows[d.ID] = d.RunRow
			same(t, live, projections.RunTopic(d.ID), map[string]any{d.ID: d})
		}
		same(t, live, projections.TopicRuns, rows)
	})
	t.Run("queue", func(t *testing.T) {
		q := projections.NewQueue()
		live := follow(t, q)
		same(t, live, projections.TopicQueue, map[string]any{projections.TopicQueue: q.View()})
	})
	t.Run("throughput", func(t *testing.T) {
		th := projections.NewThroughput()
		live := follow(t, th)
		want := map[string]any{}
		for _, m := range th.View().Minutes {
			if m.Events > 0 {
				want[m.Minute.Format(time.RFC3339)] = m
			}
		}
		same(t, live, projections.TopicThroughput, want)
	})
	t.Run("feed", func(t *testing.T) {
		f := projections.NewFeed()
		live := follow(t, f)
		want := map[string]any{}
		for _, it := range f.Items(1000) {
			want[strconv.FormatUint(it.Position, 10)] = it
		}
		same(t, live, projections.TopicFeed, want)
	})
	t.Run("principals", func(t *testing.T) {
		p := projections.NewPrincipals()
		live := follow(t, p)
		want := map[string]any{}
		for _, a := range p.All() {
			want[a.Principal] = a
		}
		same(t, live, projections.TopicPrincipals, want)
	})
}

func TestChangeDataIsTheRowsJSON(t *testing.T) {
	a := projections.NewAgents()
	live := follow(t, a)
	var row projections.Agent
	if err := json.Unmarshal([]byte(live[projections.TopicAgents][coder1]), &row); err != nil || row.Name != "coder-1" || row.Position == 0 {
		t.Fatalf("agent change = %+v, %v", row, err)
	}
}

package projections_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"hive/projections"
)

func TestChangesMessageSplitsByTopicAsItsJSONSays(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes []projections.Change
	}{
		{"none", nil},
		{"one", []projections.Change{{Topic: "agents", Position: 7, Op: projections.OpUpsert, ID: "a", Data: json.RawMessage(`{"n":1}`)}}},
		{"data that looks like the framing", []projections.Change{
			{Topic: "feed", Position: 8, Op: projections.OpUpsert, ID: `a,"b"`, Data: json.RawMessage(`{"text":"},{\"topic\":\"x\"}],[","list":[1,{"a":"]"}]}`)},
			{Topic: projections.RunTopic("0197a0c4-7b1e-7c2d-8e3f-4a5b6c7d8e9f"), Position: 8, Op: projections.OpDelete, ID: "r"},
			{Topic: "queue", Position: 9, Op: projections.OpUpsert, ID: "<q&>", Data: json.RawMessage(`"\u2028 text"`)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := projections.NewChangesMessage("m", 9, tc.changes)
			var whole []projections.Change
			if err := json.Unmarshal(msg.Payload, &whole); err != nil {
				t.Fatalf("payload %s: %v", msg.Payload, err)
			}
			if len(whole) != len(tc.changes) || msg.Metadata.Get(projections.MetaPosition) != "9" {
				t.Fatalf("payload holds %d changes, position %q; want %d, 9", len(whole), msg.Metadata.Get(projections.MetaPosition), len(tc.changes))
			}
			raws, err := projections.SplitChanges(msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(raws) != len(tc.changes) {
				t.Fatalf("split %d changes, want %d", len(raws), len(tc.changes))
			}
			for i, raw := range raws {
				var c projections.Change
				if err := json.Unmarshal(raw.JSON, &c); err != nil {
					t.Fatalf("change %d: %s: %v", i, raw.JSON, err)
				}
				if raw.Topic != tc.changes[i].Topic || !reflect.DeepEqual(c, whole[i]) {
					t.Fatalf("change %d: topic %q, %+v; want %q, %+v", i, raw.Topic, c, tc.changes[i].Topic, whole[i])
				}
			}
		})
	}
}

func TestChangesMessageWhoseMetadataDoesNotFitIsRefused(t *testing.T) {
	// Its changes end at 70 and 138; the payload's ']' is at 138.
	good := projections.NewChangesMessage("m", 2, []projections.Change{
		{Topic: "agents", Position: 1, Op: projections.OpUpsert, ID: "a", Data: json.RawMessage(`{"n":1}`)},
		{Topic: "feed", Position: 2, Op: projections.OpUpsert, ID: "b", Data: json.RawMessage(`{"n":2}`)},
	})
	for _, tc := range []struct {
		name, topics, ends string
		payload            []byte
	}{
		{name: "no metadata"},
		{name: "a topic too few", topics: "agents"},
		{name: "an end too few", ends: "70"},
		{name: "an empty topic", topics: "agents,"},
		{name: "an end inside a change", ends: "30,138"},
		{name: "ends out of order", ends: "138,70"},
		{name: "an end past the payload", ends: "70,500"},
		{name: "an end that is no number", ends: "70,x"},
		{name: "not an array", payload: []byte(`{"topic":"agents"}`)},
		{name: "more changes than listed", topics: "agents", ends: "70"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := message.NewMessage("m", good.Payload)
			if tc.name != "no metadata" {
				for k, v := range good.Metadata {
					msg.Metadata.Set(k, v)
				}
			}
			if tc.topics != "" {
				msg.Metadata.Set(projections.MetaTopics, tc.topics)
			}
			if tc.ends != "" {
				msg.Metadata.Set(projections.MetaEnds, tc.ends)
			}
			if tc.payload != nil {
				msg.Payload = tc.payload
			}
			if raws, err := projections.SplitChanges(msg); !errors.Is(err, projections.ErrMalformedChanges) || raws != nil {
				t.Fatalf("SplitChanges = %d changes, %v; want none, ErrMalformedChanges", len(raws), err)
			}
		})
	}
}

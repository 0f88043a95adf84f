package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestListsPrintJSONArrays runs every command that lists things with
// -o json: each prints one JSON array (as the README promises), empty
// lists included, never an object or null.
func TestListsPrintJSONArrays(t *testing.T) {
	c := newCLI(t)
	c.run("agents", "register", "--name", "ada", "--capability", "code")
	var swarm struct{ ID string }
	c.json(&swarm, "swarms", "create", "--name", "crew", "--topology", "mesh")
	lists := []struct {
		args     []string
		nonEmpty bool
	}{
		{[]string{"agents", "list"}, true},
		{[]string{"swarms", "list"}, true},
		{[]string{"definitions", "list"}, false},
		{[]string{"workflows", "list"}, false},
		{[]string{"events", "list"}, true},
		{[]string{"events", "tail", "-n", "5"}, true},
		{[]string{"events", "read", "swarm-" + swarm.ID}, true},
		{[]string{"token", "list"}, true},
	}
	for _, l := range lists {
		t.Run(strings.Join(l.args, " "), func(t *testing.T) {
			raw := strings.TrimSpace(c.run(append(l.args, "-o", "json")...))
			var items []json.RawMessage
			if !strings.HasPrefix(raw, "[") || json.Unmarshal([]byte(raw), &items) != nil {
				t.Fatalf("hive %s -o json printed no JSON array:\n%s", strings.Join(l.args, " "), raw)
			}
			if l.nonEmpty && (len(items) == 0 || !bytes.HasPrefix(items[0], []byte("{"))) {
				t.Errorf("hive %s -o json: %d items, want objects:\n%s", strings.Join(l.args, " "), len(items), raw)
			}
		})
	}
}

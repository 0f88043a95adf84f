package client_test

import (
	"testing"

	"hive/actors/agent"
	"hive/http/client"
)

func TestAgentIDIsHives(t *testing.T) {
	for _, name := range []string{"coder-1", "a", "ünï"} {
		if got, want := client.AgentID(name), agent.IDFor(name); got != want {
			t.Errorf("AgentID(%q) = %s, Hive gives %s", name, got, want)
		}
	}
}

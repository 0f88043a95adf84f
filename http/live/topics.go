package live

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"hive/projections"
)

// ErrInvalidTopics is returned by ParseTopics for a list a client may not
// follow.
var ErrInvalidTopics = errors.New("invalid topics")

// MaxTopics bounds the topics of one stream.
const MaxTopics = 64

// named are the topics besides the runs' own.
var named = map[string]bool{
	projections.TopicAgents: true, projections.TopicSwarms: true, projections.TopicRuns: true,
	projections.TopicQueue: true, projections.TopicThroughput: true, projections.TopicFeed: true,
	projections.TopicPrincipals: true,
}

// ParseTopics reads a comma-separated list of topics: the named ones
// (agents, swarms, runs, queue, throughput, feed, principals) and
// workflows/<run uuid>. It drops repeats; any other name, or an empty
// list, is an error wrapping ErrInvalidTopics.
func ParseTopics(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("%w: name at least one topic", ErrInvalidTopics)
	}
	seen := map[string]bool{}
	var topics []string
	for t := range strings.SplitSeq(list, ",") {
		t = strings.TrimSpace(t)
		if !known(t) {
			return nil, fmt.Errorf("%w: %q is not a topic (agents, swarms, runs, queue, throughput, feed, principals or workflows/<run id>)", ErrInvalidTopics, t)
		}
		if !seen[t] {
			seen[t] = true
			topics = append(topics, t)
		}
	}
	if len(topics) > MaxTopics {
		return nil, fmt.Errorf("%w: at most %d topics", ErrInvalidTopics, MaxTopics)
	}
	return topics, nil
}

func known(topic string) bool {
	if named[topic] {
		return true
	}
	id, ok := strings.CutPrefix(topic, projections.RunTopic(""))
	if !ok {
		return false
	}
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id // canonical, as run ids are
}

package projections

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Metadata of a message of changes (see NewChangesMessage).
const (
	// MetaPosition is the position of the last event whose changes the
	// message carries.
	MetaPosition = "position"
	// MetaTopics lists the topic of each change, in order, separated by
	// commas (no topic holds one).
	MetaTopics = "topics"
	// MetaEnds lists, in the same order, the byte offset in the payload at
	// which each change's JSON ends, separated by commas.
	MetaEnds = "ends"
)

// ErrMalformedChanges: a message's metadata does not describe its payload
// as NewChangesMessage does.
var ErrMalformedChanges = errors.New("malformed message of changes")

// NewChangesMessage returns the message carrying changes, the newest made
// by the event at position: its payload the changes as a JSON array, its
// metadata the position and, for each change, its topic and where its
// JSON ends in the payload, so that a consumer routes each change by topic
// without parsing the payload (SplitChanges). The changes' data is JSON
// already, as the read models encoded it, and is copied as it is.
func NewChangesMessage(uuid string, position uint64, changes []Change) *message.Message {
	size, names := 2, 0
	for _, c := range changes {
		size += len(c.Data) + len(c.Topic) + len(c.ID) + 64
		names += len(c.Topic) + 1
	}
	payload := make([]byte, 0, size)
	topics := make([]byte, 0, names)
	ends := make([]byte, 0, 6*len(changes))
	payload = append(payload, '[')
	for i, c := range changes {
		if i > 0 {
			payload, topics, ends = append(payload, ','), append(topics, ','), append(ends, ',')
		}
		payload = appendChangeJSON(payload, c)
		topics = append(topics, c.Topic...)
		ends = strconv.AppendInt(ends, int64(len(payload)), 10)
	}
	payload = append(payload, ']')
	msg := message.NewMessage(uuid, payload)
	msg.Metadata.Set(MetaPosition, strconv.FormatUint(position, 10))
	msg.Metadata.Set(MetaTopics, string(topics))
	msg.Metadata.Set(MetaEnds, string(ends))
	return msg
}

// appendChangeJSON appends c as a JSON object.
func appendChangeJSON(b []byte, c Change) []byte {
	b = appendJSONString(append(b, `{"topic":`...), c.Topic)
	b = strconv.AppendUint(append(b, `,"position":`...), c.Position, 10)
	b = appendJSONString(append(b, `,"op":`...), c.Op)
	b = appendJSONString(append(b, `,"id":`...), c.ID)
	if len(c.Data) > 0 {
		b = append(append(b, `,"data":`...), c.Data...)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}

// RawChange is one change of a message of changes: its topic, and its JSON
// object as the payload holds it.
type RawChange struct {
	Topic string
	JSON  []byte
}

// SplitChanges returns the changes of a message NewChangesMessage made, as
// its metadata locates them, without parsing the payload; their JSON is
// part of the payload. It fails with ErrMalformedChanges, returning none,
// if the metadata does not fit the payload.
func SplitChanges(msg *message.Message) ([]RawChange, error) {
	payload, topics, ends := msg.Payload, msg.Metadata.Get(MetaTopics), msg.Metadata.Get(MetaEnds)
	if len(payload) < 2 || payload[0] != '[' || payload[len(payload)-1] != ']' {
		return nil, fmt.Errorf("%w: the payload is not an array", ErrMalformedChanges)
	}
	if topics == "" && ends == "" && len(payload) == 2 {
		return nil, nil
	}
	out := make([]RawChange, 0, strings.Count(topics, ",")+1)
	start := 1
	for topics != "" || ends != "" {
		var topic, end string
		topic, topics, _ = strings.Cut(topics, ",")
		end, ends, _ = strings.Cut(ends, ",")
		stop, err := strconv.Atoi(end)
		if err != nil || topic == "" || stop <= start || stop >= len(payload) ||
			payload[start] != '{' || payload[stop-1] != '}' || (payload[stop] != ',' && payload[stop] != ']') {
			return nil, fmt.Errorf("%w: change %d (topic %q, end %q) does not fit the payload", ErrMalformedChanges, len(out), topic, end)
		}
		out = append(out, RawChange{Topic: topic, JSON: payload[start:stop]})
		start = stop + 1
	}
	if start != len(payload) {
		return nil, fmt.Errorf("%w: %d changes listed, the payload holds more", ErrMalformedChanges, len(out))
	}
	return out, nil
}

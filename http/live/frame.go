package live

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// frame is one change, encoded once as the SSE event every client gets.
type frame struct {
	seq   uint64
	topic string
	text  []byte
}

// changeFrame encodes the change raw (one projections.Change as JSON) as
// event seq of epoch.
func changeFrame(epoch string, seq uint64, topic string, raw json.RawMessage) *frame {
	if bytes.ContainsAny(raw, "\r\n") {
		var compact bytes.Buffer
		if json.Compact(&compact, raw) == nil {
			raw = compact.Bytes()
		}
	}
	text := make([]byte, 0, len(raw)+len(epoch)+48)
	text = append(text, "id: "...)
	text = appendID(text, epoch, seq)
	text = append(text, "\nevent: change\ndata: "...)
	text = append(text, raw...)
	text = append(text, "\n\n"...)
	return &frame{seq: seq, topic: topic, text: text}
}

// appendID appends the event id of seq: "<epoch>-<seq>".
func appendID(dst []byte, epoch string, seq uint64) []byte {
	dst = append(dst, epoch...)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, seq, 10)
}

// parseID splits an event id into its epoch and seq.
func parseID(id string) (epoch string, seq uint64, ok bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(id[i+1:], 10, 64)
	return id[:i], seq, err == nil
}

// helloFrame is the first event of a stream.
func helloFrame(epoch string, last uint64) []byte {
	data, _ := json.Marshal(struct {
		Epoch  string `json:"epoch"`
		LastID string `json:"last_id"`
	}{epoch, string(appendID(nil, epoch, last))})
	return append(append([]byte("event: hello\ndata: "), data...), "\n\n"...)
}

// resyncFrame ends a stream whose client must read the views again.
func resyncFrame(reason string) []byte {
	data, _ := json.Marshal(struct {
		Reason string `json:"reason"`
	}{reason})
	return append(append([]byte("event: resync\ndata: "), data...), "\n\n"...)
}

// ping is the heartbeat comment.
var ping = []byte(": ping\n\n")

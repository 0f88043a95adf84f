package esdbdouble

import (
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/kurrent-io/KurrentDB-Client-Go/protos/kurrentdb/protocols/v1/shared"
	api "github.com/kurrent-io/KurrentDB-Client-Go/protos/kurrentdb/protocols/v1/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// uuidFromWire decodes an event id in either of the wire's forms.
func uuidFromWire(id *shared.UUID) (uuid.UUID, error) {
	if s := id.GetStructured(); s != nil {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(s.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(b[8:], uint64(s.GetLeastSignificantBits()))
		return uuid.UUID(b), nil
	}
	u, err := uuid.Parse(id.GetString_())
	if err != nil {
		return uuid.Nil, status.Errorf(codes.InvalidArgument, "event id %q: %v", id.GetString_(), err)
	}
	return u, nil
}

// uuidToWire encodes an event id in the form the reader asked for.
func uuidToWire(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

// eventResp is a record as a read or subscription delivers it, with the
// system metadata EventStoreDB always sends ("created" among them: clients
// cannot read an event without it).
func eventResp(r *record, uuidAsString bool) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               uuidToWire(r.id, uuidAsString),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.number,
			PreparePosition:  r.position,
			CommitPosition:   r.position,
			Metadata: map[string]string{
				"type":         r.eventType,
				"content-type": r.contentType,
				"created":      strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: r.metadata,
			Data:           r.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.position},
	}}}
}

func checkpointResp(pos uint64, now time.Time) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{
		CommitPosition: pos, PreparePosition: pos, Timestamp: timestamppb.New(now),
	}}}
}

// caughtUpResp tells a $all subscription it is live; position is the last
// event it considered, absent for an empty database.
func caughtUpResp(now time.Time, position *uint64) *api.ReadResp {
	c := &api.ReadResp_CaughtUp{Timestamp: timestamppb.New(now)}
	if position != nil {
		c.Position = &api.ReadResp_Position{CommitPosition: *position, PreparePosition: *position}
	}
	return &api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: c}}
}

func streamNotFoundResp(stream string) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(stream)},
	}}}
}

// filter is a $all read's or subscription's server-side filter.
type filter struct {
	byType   bool // match event types rather than stream names
	prefixes []string
	regex    *regexp.Regexp
	// window and checkpointEvery: a filtered subscription reports a
	// checkpoint after every checkpointEvery events it considered.
	checkpointEvery int
}

// newFilter reads a filter option; nil for none.
func newFilter(f *api.ReadReq_Options_FilterOptions) (*filter, error) {
	if f == nil {
		return nil, nil
	}
	expr := f.GetStreamIdentifier()
	out := &filter{}
	if expr == nil {
		expr, out.byType = f.GetEventType(), true
	}
	if expr == nil || (len(expr.GetPrefix()) == 0) == (expr.GetRegex() == "") {
		return nil, status.Error(codes.InvalidArgument, "a filter needs either prefixes or a regex")
	}
	out.prefixes = expr.GetPrefix()
	if expr.GetRegex() != "" {
		re, err := regexp.Compile(expr.GetRegex())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "filter regex: %v", err)
		}
		out.regex = re
	}
	window := int(f.GetMax())
	if window == 0 {
		window = 32
	}
	out.checkpointEvery = window * int(max(f.GetCheckpointIntervalMultiplier(), 1))
	return out, nil
}

// keeps reports whether the filter lets r through; a nil filter keeps all.
func (f *filter) keeps(r *record) bool {
	if f == nil {
		return true
	}
	subject := r.stream
	if f.byType {
		subject = r.eventType
	}
	if f.regex != nil {
		return f.regex.MatchString(subject)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

package esdbdouble

import (
	"errors"
	"io"
	"strconv"
	"unicode/utf16"

	"github.com/kurrent-io/KurrentDB-Client-Go/protos/kurrentdb/protocols/v1/shared"
	api "github.com/kurrent-io/KurrentDB-Client-Go/protos/kurrentdb/protocols/v1/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// DefaultMaxAppendSize is the most bytes one append may carry, EventStoreDB's
// default: the data, custom metadata and type (in UTF-16) of all its
// events.
const DefaultMaxAppendSize = 1 << 20

// Append implements the Streams service's Append call. It receives the
// whole request before an injected fault fails it: a client sending its
// events to a call that already ended would see only io.EOF, not why.
func (s *streams) Append(call grpc.ClientStreamingServer[api.AppendReq, api.AppendResp]) error {
	fault := s.faults.take(Append)
	stream, exp, evs, err := s.receiveAppend(call)
	if err != nil {
		return err
	}
	if err := failure(call.Context(), fault); err != nil {
		return err
	}
	if fault == WrongExpectedVersion {
		s.log.mu.Lock()
		current := s.log.current(stream)
		s.log.mu.Unlock()
		return call.SendAndClose(wrongResp(exp, current))
	}
	res := s.log.appendEvents(stream, exp, evs)
	if fault == CommitThenUnavailable {
		return status.Error(codes.Unavailable, "esdbdouble: connection lost after the commit (injected)")
	}
	if res.outcome == wrongExpectedVersion {
		return call.SendAndClose(wrongResp(exp, res.current))
	}
	return call.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: res.last},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: res.position, PreparePosition: res.position,
		}},
	}}})
}

// receiveAppend reads an append's options and proposed events, checking
// what EventStoreDB checks: the options first, a type and content type on
// every event, and the append's total size.
func (s *streams) receiveAppend(call grpc.ClientStreamingServer[api.AppendReq, api.AppendResp]) (string, expectation, []proposed, error) {
	first, err := call.Recv()
	if err != nil {
		return "", expectation{}, nil, err
	}
	opts := first.GetOptions()
	if opts == nil {
		return "", expectation{}, nil, status.Error(codes.InvalidArgument, "the first message of an append must carry its options")
	}
	exp, err := expectationFromWire(opts)
	if err != nil {
		return "", expectation{}, nil, err
	}
	var evs []proposed
	size := 0
	for {
		msg, err := call.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", expectation{}, nil, err
		}
		ev, err := proposedFromWire(msg.GetProposedMessage())
		if err != nil {
			return "", expectation{}, nil, err
		}
		size += len(ev.data) + len(ev.metadata) + 2*len(utf16.Encode([]rune(ev.eventType)))
		if size > s.maxAppendSize {
			_ = grpc.SetTrailer(call.Context(), metadata.Pairs("exception", "maximum-append-size-exceeded",
				"maximum-append-size", strconv.Itoa(s.maxAppendSize)))
			return "", expectation{}, nil, status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", s.maxAppendSize)
		}
		evs = append(evs, ev)
	}
	if len(evs) == 0 {
		return "", expectation{}, nil, status.Error(codes.InvalidArgument, "esdbdouble: an append without events is not modelled")
	}
	return string(opts.GetStreamIdentifier().GetStreamName()), exp, evs, nil
}

func expectationFromWire(opts *api.AppendReq_Options) (expectation, error) {
	switch r := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Any:
		return expectation{kind: expectAny}, nil
	case *api.AppendReq_Options_NoStream:
		return expectation{kind: expectNoStream}, nil
	case *api.AppendReq_Options_StreamExists:
		return expectation{kind: expectStreamExists}, nil
	case *api.AppendReq_Options_Revision:
		return expectation{kind: expectRevision, revision: r.Revision}, nil
	}
	return expectation{}, status.Error(codes.InvalidArgument, "an append must say which stream revision it expects")
}

func proposedFromWire(m *api.AppendReq_ProposedMessage) (proposed, error) {
	if m == nil {
		return proposed{}, status.Error(codes.InvalidArgument, "an append's messages after the first must be proposed events")
	}
	id, err := uuidFromWire(m.GetId())
	if err != nil {
		return proposed{}, err
	}
	typ, ok := m.GetMetadata()["type"]
	if !ok {
		return proposed{}, status.Error(codes.InvalidArgument, "Required Metadata Property 'type' is missing")
	}
	contentType, ok := m.GetMetadata()["content-type"]
	if !ok {
		return proposed{}, status.Error(codes.InvalidArgument, "Required Metadata Property 'content-type' is missing")
	}
	return proposed{id: id, eventType: typ, contentType: contentType, data: m.GetData(), metadata: m.GetCustomMetadata()}, nil
}

// wrongResp is the result of an append whose expected revision the stream,
// at revision current (-1: no stream), does not satisfy.
func wrongResp(exp expectation, current int64) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	switch exp.kind {
	case expectAny:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	case expectNoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case expectStreamExists:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.revision}
	}
	if current < 0 {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

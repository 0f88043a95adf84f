package esdbdouble

import (
	api "github.com/kurrent-io/KurrentDB-Client-Go/protos/kurrentdb/protocols/v1/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Read implements the Streams service's Read call: a read of a stream or of
// $all, or a catch-up subscription to either.
func (s *streams) Read(req *api.ReadReq, out grpc.ServerStreamingServer[api.ReadResp]) error {
	opts := req.GetOptions()
	op := Read
	if opts.GetSubscription() != nil {
		op = Subscribe
	}
	if err := failure(out.Context(), s.faults.take(op)); err != nil {
		return err
	}
	f, err := newFilter(opts.GetFilter())
	if err != nil {
		return err
	}
	asString := opts.GetUuidOption().GetString_() != nil
	if op == Subscribe {
		return s.subscribe(opts, f, asString, out)
	}
	if opts.GetReadDirection() != api.ReadReq_Options_Forwards && opts.GetReadDirection() != api.ReadReq_Options_Backwards {
		return status.Error(codes.InvalidArgument, "unknown read direction")
	}
	forward := opts.GetReadDirection() == api.ReadReq_Options_Forwards
	if st := opts.GetStream(); st != nil {
		return s.readStream(st, forward, opts.GetCount(), asString, out)
	}
	if all := opts.GetAll(); all != nil {
		r := allRead{forward: forward, count: opts.GetCount(), keep: f.keeps,
			fromStart: all.GetStart() != nil, fromEnd: all.GetEnd() != nil,
			from: all.GetPosition().GetPreparePosition()}
		return send(out, s.log.readAll(r), asString)
	}
	return status.Error(codes.InvalidArgument, "a read names a stream or $all")
}

func (s *streams) readStream(st *api.ReadReq_Options_StreamOptions, forward bool, count uint64, asString bool, out grpc.ServerStreamingServer[api.ReadResp]) error {
	name := string(st.GetStreamIdentifier().GetStreamName())
	r := streamRead{stream: name, forward: forward, from: st.GetRevision(), count: count}
	switch {
	case st.GetStart() != nil:
		r.from = 0
	case st.GetEnd() != nil && forward:
		return nil // nothing lies after the end
	case st.GetEnd() != nil:
		r.fromEnd = true
	}
	recs, found := s.log.readStream(r)
	if !found {
		return out.Send(streamNotFoundResp(name))
	}
	return send(out, recs, asString)
}

func send(out grpc.ServerStreamingServer[api.ReadResp], recs []record, asString bool) error {
	for i := range recs {
		if err := out.Send(eventResp(&recs[i], asString)); err != nil {
			return err
		}
	}
	return nil
}

package esdbdouble

import (
	"sync"

	"github.com/google/uuid"
	api "github.com/kurrent-io/KurrentDB-Client-Go/protos/kurrentdb/protocols/v1/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// subscriptionPage is how many records a subscription takes from the log
// at a time.
const subscriptionPage = 256

// cursor is where a subscription is in the log and which records it
// delivers.
type cursor struct {
	next int // index of the next record to consider
	// keep selects the records to deliver.
	keep func(*record) bool
	// all is true for subscriptions to $all, which count the records they
	// consider, for a filter's checkpoints, and note the last one's
	// position, for their caught-up message.
	all        bool
	considered int
	last       *uint64
}

// subscribe serves a catch-up subscription: a confirmation, the stored
// events after the start, a caught-up message once it reaches the end of
// the log, then each new event as it commits. It ends when the client goes
// away, the server stops, or DropSubscriptions drops it.
func (s *streams) subscribe(opts *api.ReadReq_Options, f *filter, asString bool, out grpc.ServerStreamingServer[api.ReadResp]) error {
	drop := s.subs.add()
	defer s.subs.remove(drop)
	cur := s.cursor(opts, f)
	confirm := &api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()}}}
	if err := out.Send(confirm); err != nil {
		return err
	}
	caughtUp := false
	for {
		recs, next, wake := s.log.page(cur.next, subscriptionPage)
		cur.next = next
		if err := s.deliver(out, &cur, f, recs, asString); err != nil {
			return err
		}
		if len(recs) > 0 {
			select {
			case err := <-drop:
				return err
			default:
			}
			continue
		}
		if !caughtUp {
			caughtUp = true
			if err := out.Send(caughtUpResp(s.now(), cur.last)); err != nil {
				return err
			}
		}
		select {
		case <-wake:
		case err := <-drop:
			return err
		case <-out.Context().Done():
			return status.FromContextError(out.Context().Err()).Err()
		}
	}
}

// deliver sends the records of a page the subscription keeps, and a
// filtered subscription's checkpoints.
func (s *streams) deliver(out grpc.ServerStreamingServer[api.ReadResp], cur *cursor, f *filter, recs []record, asString bool) error {
	for i := range recs {
		r := &recs[i]
		if cur.all {
			pos := r.position
			cur.last = &pos
			cur.considered++
		}
		if cur.keep(r) {
			if err := out.Send(eventResp(r, asString)); err != nil {
				return err
			}
		}
		if f != nil && cur.considered >= f.checkpointEvery {
			cur.considered = 0
			if err := out.Send(checkpointResp(r.position, s.now())); err != nil {
				return err
			}
		}
	}
	return nil
}

// cursor places a new subscription at its start.
func (s *streams) cursor(opts *api.ReadReq_Options, f *filter) cursor {
	if st := opts.GetStream(); st != nil {
		name := string(st.GetStreamIdentifier().GetStreamName())
		c := cursor{keep: func(r *record) bool { return r.stream == name }}
		switch {
		case st.GetEnd() != nil:
			c.next, _ = s.log.head()
		case st.GetStart() == nil:
			after := st.GetRevision() // exclusive, as EventStoreDB's
			c.keep = func(r *record) bool { return r.stream == name && r.number > after }
		}
		return c
	}
	all := opts.GetAll()
	c := cursor{keep: f.keeps, all: true}
	switch {
	case all.GetEnd() != nil:
		c.next, _ = s.log.head()
	case all.GetPosition() != nil:
		c.next = s.log.startIndex(all.GetPosition().GetPreparePosition())
	}
	return c
}

// subscriptions tracks the open subscriptions so that DropSubscriptions
// can end them.
type subscriptions struct {
	mu   sync.Mutex
	open map[chan error]struct{}
}

func (r *subscriptions) add() chan error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.open == nil {
		r.open = map[chan error]struct{}{}
	}
	ch := make(chan error, 1)
	r.open[ch] = struct{}{}
	return ch
}

func (r *subscriptions) remove(ch chan error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.open, ch)
}

// dropAll ends every open subscription with err, and returns how many it
// ended.
func (r *subscriptions) dropAll(err error) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.open)
	for ch := range r.open {
		select {
		case ch <- err:
		default:
		}
		delete(r.open, ch)
	}
	return n
}

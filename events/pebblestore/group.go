package pebblestore

import (
	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"

	"hive/events"
)

// group is one commit group: requests taken together, their replies, and
// the one pebble batch that holds all their events. The writer fills it;
// the committer commits and answers it.
type group struct {
	reqs    []*request
	replies []reply // one per request, in order
	batch   *pebble.Batch
	first   uint64 // position of the group's first event
	next    uint64 // position after its last event
	// lastHash is the hash of its last event.
	lastHash events.Hash
	appends  int // requests that wrote events
	// err fails every request of the group; the batch is then not committed.
	err error

	// What the group changes, for the requests staged after it.
	heads map[string]streamHead         // heads of the streams it appends to
	ids   map[uuid.UUID]events.Location // its events
	// Its index entries, put into the batch by fill, each index in key
	// order, which makes pebble's memtable inserts cheap.
	idIndex []idEntry
	streams []streamEntry
}

type idEntry struct {
	id  uuid.UUID
	pos uint64
}

type streamEntry struct {
	stream  string
	version uint64
	pos     uint64
}

func newGroup() *group {
	return &group{heads: make(map[string]streamHead), ids: make(map[uuid.UUID]events.Location)}
}

// reset empties g for reuse, keeping its memory.
func (g *group) reset(first uint64) {
	clear(g.reqs)
	g.reqs, g.replies = g.reqs[:0], g.replies[:0]
	g.batch, g.err = nil, nil
	g.first, g.next, g.appends = first, first, 0
	g.lastHash = events.Hash{}
	clear(g.heads)
	clear(g.ids)
	g.idIndex = g.idIndex[:0]
	clear(g.streams) // drop the stream names
	g.streams = g.streams[:0]
}

// failAll makes err every request's reply.
func (g *group) failAll(err error) {
	g.replies = g.replies[:0]
	for range g.reqs {
		g.replies = append(g.replies, reply{err: err})
	}
}

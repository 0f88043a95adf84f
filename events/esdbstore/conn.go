package esdbstore

import (
	"fmt"
	"sync"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	"hive/events"
)

// conn holds the store's client and replaces it when it gives up.
//
// The client reconnects by itself after a lost connection, but if the
// server is still unreachable when it rediscovers it (a few attempts, about
// a second by default), it closes itself for good and fails every later
// call with ErrorCodeConnectionClosed. conn then makes a new client from
// the same configuration, so that the store reconnects once the server is
// back, however long it was away.
type conn struct {
	cfg *kurrentdb.Configuration

	mu     sync.Mutex
	client *kurrentdb.Client
	closed bool
}

func newConn(cfg *kurrentdb.Configuration) (*conn, error) {
	client, err := kurrentdb.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("esdbstore: %w", err)
	}
	return &conn{cfg: cfg, client: client}, nil
}

// get returns the current client.
func (c *conn) get() (*kurrentdb.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, events.ErrClosed
	}
	return c.client, nil
}

// failed tells conn that a call on client failed with err: if the client
// has closed itself, a new one replaces it for the calls that follow.
func (c *conn) failed(client *kurrentdb.Client, err error) {
	if code(err) != kurrentdb.ErrorCodeConnectionClosed {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.client != client {
		return // closed by Close, or already replaced
	}
	fresh, nerr := kurrentdb.NewClient(c.cfg)
	if nerr != nil {
		return // the configuration was valid when Open made the first client
	}
	_ = client.Close()
	c.client = fresh
}

// close closes the client; later calls to get fail with ErrClosed.
func (c *conn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		_ = c.client.Close()
	}
}

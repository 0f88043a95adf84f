package pgstore_test

import (
	"context"
	"errors"
	"testing"

	"hive/events"
	"hive/events/pgstore"
	"hive/events/storetest"
)

// TestCorruptRow: a row changed by hand into what Hive never writes (a
// hash of the wrong length) is reported as ErrCorrupt by reads and by the
// next append to its stream, not taken for an event.
func TestCorruptRow(t *testing.T) {
	url := emptyDatabase(t)
	s := open(t, pgstore.Config{URL: url})
	storetest.MustAppend(t, s, "bent", events.NoStream(), storetest.NewEvents(t, "bent", 1))
	conn := openConn(t, url)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `UPDATE hive.events SET hash = '\x00'; UPDATE hive.streams SET hash = '\x00'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadAll(ctx, 0, 10); !errors.Is(err, pgstore.ErrCorrupt) {
		t.Errorf("ReadAll = %v, want ErrCorrupt", err)
	}
	if _, err := s.ReadStream(ctx, "bent", 1, events.Forward, 10); !errors.Is(err, pgstore.ErrCorrupt) {
		t.Errorf("ReadStream = %v, want ErrCorrupt", err)
	}
	if _, err := s.Append(ctx, "bent", events.Any(), storetest.NewEvents(t, "bent", 1)); !errors.Is(err, pgstore.ErrCorrupt) {
		t.Errorf("Append = %v, want ErrCorrupt", err)
	}
}

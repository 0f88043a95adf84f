package pebblestore_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"hive/events"
	"hive/events/eventpb"
	"hive/events/pebblestore"
	"hive/events/storetest"
)

// interleavedStore writes order-1 (versions 1-4 at positions 1, 3, 5, 7)
// and order-2 (versions 1-3 at positions 2, 4, 6), closes the store and
// returns its directory.
func interleavedStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s := openStore(t, pebblestore.Config{Dir: dir})
	for i := range 7 {
		stream := []string{"order-1", "order-2"}[i%2]
		storetest.MustAppend(t, s, stream, events.Any(), storetest.NewEvents(t, stream, 1))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The key layout of the package documentation, for tampering.
func logKey(pos uint64) []byte { return binary.BigEndian.AppendUint64([]byte{'l'}, pos) }

func streamKey(stream string, version uint64) []byte {
	return binary.BigEndian.AppendUint64(append(append([]byte{'s'}, stream...), 0), version)
}

func idKey(id [16]byte) []byte { return append([]byte{'i'}, id[:]...) }

// tamper opens dir with pebble itself, lets f change it, and closes it.
func tamper(t *testing.T, dir string, f func(db *pebble.DB) error) {
	t.Helper()
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietPebble{t}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f(db); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func get(db *pebble.DB, key []byte) ([]byte, error) {
	v, closer, err := db.Get(key)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return append([]byte(nil), v...), nil
}

func swap(db *pebble.DB, a, b []byte) error {
	va, err := get(db, a)
	if err != nil {
		return err
	}
	vb, err := get(db, b)
	if err != nil {
		return err
	}
	return errors.Join(db.Set(a, vb, pebble.Sync), db.Set(b, va, pebble.Sync))
}

func event(db *pebble.DB, pos uint64) (events.Envelope, error) {
	var e events.Envelope
	raw, err := get(db, logKey(pos))
	if err == nil {
		err = eventpb.Unmarshal(raw, &e)
	}
	return e, err
}

func TestVerifyNamesTheFirstBadStreamAndVersion(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func(db *pebble.DB) error
		stream  string
		version uint64
	}{
		{name: "one byte of a payload flipped", stream: "order-1", version: 2, tamper: func(db *pebble.DB) error {
			e, err := event(db, 3)
			if err != nil {
				return err
			}
			e.Payload[0] ^= 1
			raw, err := eventpb.Marshal(&e)
			if err != nil {
				return err
			}
			return db.Set(logKey(3), raw, pebble.Sync)
		}},
		{name: "an event's log record deleted", stream: "order-1", version: 2, tamper: func(db *pebble.DB) error {
			return db.Delete(logKey(3), pebble.Sync)
		}},
		{name: "an event deleted with its index entries", stream: "order-2", version: 2, tamper: func(db *pebble.DB) error {
			e, err := event(db, 4)
			if err != nil {
				return err
			}
			return errors.Join(db.Delete(logKey(4), pebble.Sync), db.Delete(streamKey("order-2", 2), pebble.Sync), db.Delete(idKey(e.ID), pebble.Sync))
		}},
		{name: "two events of a stream reordered", stream: "order-1", version: 3, tamper: func(db *pebble.DB) error {
			return swap(db, logKey(3), logKey(5))
		}},
		{name: "two events of two streams reordered", stream: "order-2", version: 2, tamper: func(db *pebble.DB) error {
			return swap(db, logKey(3), logKey(4))
		}},
		{name: "two stream index entries swapped", stream: "order-1", version: 2, tamper: func(db *pebble.DB) error {
			return swap(db, streamKey("order-1", 2), streamKey("order-1", 3))
		}},
		{name: "an id index entry deleted", stream: "order-2", version: 3, tamper: func(db *pebble.DB) error {
			e, err := event(db, 6)
			if err != nil {
				return err
			}
			return db.Delete(idKey(e.ID), pebble.Sync)
		}},
		{name: "the log truncated", stream: "order-1", version: 4, tamper: func(db *pebble.DB) error {
			return db.Delete(logKey(7), pebble.Sync)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := interleavedStore(t)
			tamper(t, dir, tc.tamper)
			s, err := pebblestore.OpenReadOnly(pebblestore.Config{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, err = s.Verify(context.Background())
			var ce *events.ChainError
			if !errors.As(err, &ce) || ce.Stream != tc.stream || ce.Version != tc.version {
				t.Fatalf("Verify = %v, want a ChainError naming %s version %d", err, tc.stream, tc.version)
			}
		})
	}
}

func TestVerifyPassesAnIntactStore(t *testing.T) {
	dir := interleavedStore(t)
	s, err := pebblestore.OpenReadOnly(pebblestore.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Verify(context.Background())
	if err != nil || got != (pebblestore.Checked{Events: 7, Streams: 2}) {
		t.Fatalf("Verify = %+v, %v; want 7 events in 2 streams", got, err)
	}
}

// quietPebble is a pebble logger that speaks only when pebble fails.
type quietPebble struct{ t *testing.T }

func (quietPebble) Infof(string, ...any)           {}
func (q quietPebble) Errorf(f string, args ...any) { q.t.Errorf(f, args...) }
func (q quietPebble) Fatalf(f string, args ...any) { q.t.Fatalf(f, args...) }

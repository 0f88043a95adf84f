package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"hive/events"
	"hive/events/archive"
)

// importBatch is how many events one Import call restores, into a store
// that imports (events.Importer).
const importBatch = 10_000

// importChecked restores every event of r into store, which imports them
// as recorded (imp), importBatch at a time, and checks each batch against
// what the store then holds (checkImported) while the next one is decoded
// and imported: the archive is read once, and reading the store back
// overlaps writing it. It returns how many events it restored; named is
// how errors name the store.
func importChecked(ctx context.Context, r archive.Reader, store events.PageReader, imp events.Importer, named string) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	decoded := make(chan []events.Envelope, 1)
	imported := make(chan []events.Envelope, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(decoded)
		if err := decodeBatches(ctx, r, decoded); err != nil {
			cancel(err)
		}
	})
	wg.Go(func() {
		if err := checkImported(ctx, store, imported); err != nil {
			cancel(fmt.Errorf("import: the store %s, once restored, %w", named, err))
		}
	})
	n, err := importBatches(ctx, imp, decoded, imported)
	if err != nil {
		cancel(err)
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	return n, nil
}

// decodeBatches reads r to its end and sends its events to out, in
// batches of importBatch.
func decodeBatches(ctx context.Context, r archive.Reader, out chan<- []events.Envelope) error {
	for {
		batch := make([]events.Envelope, importBatch)
		n := 0
		var err error
		for ; n < len(batch); n++ {
			if err = r.Next(&batch[n]); err != nil {
				break
			}
		}
		if n > 0 {
			select {
			case out <- batch[:n]:
			case <-ctx.Done():
				return nil
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
}

// importBatches imports each batch from in into imp, in order, and sends
// it on to out once imported; it closes out when done.
func importBatches(ctx context.Context, imp events.Importer, in <-chan []events.Envelope, out chan<- []events.Envelope) (int, error) {
	defer close(out)
	n := 0
	for batch := range in {
		if err := imp.Import(ctx, batch); err != nil {
			return n, fmt.Errorf("import: positions %d-%d: %w", batch[0].Position, batch[len(batch)-1].Position, err)
		}
		n += len(batch)
		select {
		case out <- batch:
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
	return n, ctx.Err()
}

// checkImported reads back from store the events of each batch from in,
// imported in order into the empty store, and checks them against the
// batch, the archive's: the same positions, streams, versions, ids, types
// and hashes, each hash the one its event's contents chain to
// (events.Verifier), no event missing and, once in is closed, none more.
func checkImported(ctx context.Context, store events.PageReader, in <-chan []events.Envelope) error {
	v := events.NewVerifier()
	var after uint64
	for {
		select {
		case batch, ok := <-in:
			if !ok {
				return checkNoMore(ctx, store, after)
			}
			if err := checkBatch(ctx, store, v, &after, batch); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// checkBatch reads the events after position *after from store, as many
// as batch holds, and checks them against it, moving *after.
func checkBatch(ctx context.Context, store events.PageReader, v *events.Verifier, after *uint64, batch []events.Envelope) error {
	for i := 0; i < len(batch); {
		page, err := store.ReadAll(ctx, *after, min(len(batch)-i, events.MaxReadLimit))
		if err != nil {
			return fmt.Errorf("cannot be read: %w", err)
		}
		if len(page) == 0 {
			want := &batch[i]
			return fmt.Errorf("ends before the archive: %s version %d (position %d in the archive) is missing", want.Stream, want.Version, want.Position)
		}
		for j := range page {
			got := &page[j]
			if err := matchRestored(got, &batch[i], true); err != nil {
				return err
			}
			if err := v.Add(got); err != nil {
				return fmt.Errorf("fails verification: %w", err)
			}
			*after = got.Position
			i++
		}
	}
	return nil
}

// checkNoMore checks that store holds no event after position after.
func checkNoMore(ctx context.Context, store events.PageReader, after uint64) error {
	page, err := store.ReadAll(ctx, after, 1)
	if err != nil {
		return fmt.Errorf("cannot be read: %w", err)
	}
	if len(page) > 0 {
		got := &page[0]
		return fmt.Errorf("holds more events than the archive: %s version %d at position %d is not in it", got.Stream, got.Version, got.Position)
	}
	return nil
}

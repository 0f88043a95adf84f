package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"hive/events"
	"hive/events/archive"
)

// checkPage is how many events of the restored store are read at once to
// check them against the archive.
const checkPage = 1000

// importIntoStore verifies the archive at path, then restores its events
// into the store u names, which must hold none, reads the store back to
// check it against the archive (a store that imports, as it goes), and
// returns how many events it restored.
func importIntoStore(ctx context.Context, path string, u storeURL, logger *slog.Logger) (n int, err error) {
	f, r, err := openArchive(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	opened, err := openStore(ctx, u, logger)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, u.hide(opened.Close())) }()
	store := opened.Store
	head, err := store.Head(ctx)
	if err != nil {
		return 0, u.hide(fmt.Errorf("import: the store %s: cannot read its head: %w", u, err))
	}
	if head != 0 {
		return 0, fmt.Errorf("import: the store %s holds events (its head is position %d): import needs an empty one", u, head)
	}
	if imp, ok := store.(events.Importer); ok {
		n, err = importChecked(ctx, r, store, imp, u.String())
		return n, u.hide(err)
	}
	if n, err = appendAll(ctx, r, store); err != nil {
		return 0, u.hide(err)
	}
	if r, err = rewind(f); err != nil {
		return 0, fmt.Errorf("import %s: %w", path, err)
	}
	if err := checkRestored(ctx, store, r); err != nil {
		return 0, u.hide(fmt.Errorf("import: the store %s, once restored, %w", u, err))
	}
	return n, nil
}

// checkRestored reads the whole log of store and checks it against r, the
// archive it was restored through appends: event by event the same ids,
// streams, versions, types and hashes (not positions, which are the
// store's), each hash the one its event's contents chain to
// (events.Verifier), and neither with an event more.
func checkRestored(ctx context.Context, store events.Store, r archive.Reader) error {
	v := events.NewVerifier()
	var want events.Envelope
	var after uint64
	for {
		page, err := store.ReadAll(ctx, after, checkPage)
		if err != nil {
			return fmt.Errorf("cannot be read: %w", err)
		}
		for i := range page {
			got := &page[i]
			if err := r.Next(&want); errors.Is(err, io.EOF) {
				return fmt.Errorf("holds more events than the archive: %s version %d at position %d is not in it", got.Stream, got.Version, got.Position)
			} else if err != nil {
				return fmt.Errorf("cannot be compared: %w", err)
			}
			if err := matchRestored(got, &want, false); err != nil {
				return err
			}
			if err := v.Add(got); err != nil {
				return fmt.Errorf("fails verification: %w", err)
			}
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].Position
	}
	if err := r.Next(&want); !errors.Is(err, io.EOF) {
		return fmt.Errorf("ends before the archive: %s version %d (position %d in the archive) is missing", want.Stream, want.Version, want.Position)
	}
	return nil
}

// matchRestored reports how got, an event read from a restored store, differs
// from want, the archive's.
func matchRestored(got, want *events.Envelope, samePositions bool) error {
	switch {
	case got.Stream != want.Stream || got.Version != want.Version:
		return fmt.Errorf("differs from the archive: it holds %s version %d where the archive holds %s version %d (position %d)",
			got.Stream, got.Version, want.Stream, want.Version, want.Position)
	case got.ID != want.ID || got.Type != want.Type || got.Hash != want.Hash:
		return fmt.Errorf("differs from the archive at %s version %d: id, type or hash", got.Stream, got.Version)
	case samePositions && got.Position != want.Position:
		return fmt.Errorf("differs from the archive at %s version %d: position %d, the archive's %d", got.Stream, got.Version, got.Position, want.Position)
	}
	return nil
}

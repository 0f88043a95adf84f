package main

import (
	"fmt"
	"io"
	"os"

	"hive/events/archive"
)

// verifyArchive verifies the archive file at path, as hive import does
// before it restores one (archive.Verify: chains, versions, positions,
// distinct ids, NDJSON readable payloads against their bytes, and the
// trailer), and writes the outcome to w; it fails with the first problem.
func verifyArchive(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	r, format, err := archive.NewReader(f)
	if err != nil {
		return fmt.Errorf("verify %s: %w", path, err)
	}
	s, err := archive.Verify(r, format)
	if err != nil {
		return fmt.Errorf("verify: %s fails verification: %w", path, err)
	}
	_, err = fmt.Fprintf(w, "ok: %d events in %d streams, positions %d to %d, in the %s archive %s: hash chains, versions, positions, ids, payloads and trailer intact\n",
		s.Events, s.Streams, s.FirstPosition, s.LastPosition, format, path)
	return err
}

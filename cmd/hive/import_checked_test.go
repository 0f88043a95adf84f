package main

import (
	"context"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"hive/events"
)

// importedLog is a store that imports (events.Importer), as PostgreSQL
// does, keeping what fault makes of each batch as its log.
type importedLog struct {
	log   []events.Envelope
	fault func(l *importedLog, envs []events.Envelope) ([]events.Envelope, error)
}

func (l *importedLog) Import(_ context.Context, envs []events.Envelope) error {
	envs, err := l.fault(l, envs)
	l.log = append(l.log, envs...)
	return err
}

func (l *importedLog) ReadAll(_ context.Context, after uint64, limit int) ([]events.Envelope, error) {
	i := sort.Search(len(l.log), func(i int) bool { return l.log[i].Position > after })
	return append([]events.Envelope(nil), l.log[i:min(i+limit, len(l.log))]...), nil
}

// extra is an event of a stream the archive does not have, at position.
func extra(position uint64) events.Envelope {
	return events.Envelope{ID: uuid.New(), Stream: "agent-a9", Version: 1, Position: position, Type: "hive.v1.AgentDraining"}
}

// TestImportChecksWhatItImported restores the fixed history into stores
// that import (as PostgreSQL does) but get something wrong, and wants the
// import to fail naming what.
func TestImportChecksWhatItImported(t *testing.T) {
	exported := filepath.Join(t.TempDir(), "log.ndjson")
	if _, err := runHive(t, "export", "--data-dir", fixedHistory(t), "--out", exported); err != nil {
		t.Fatalf("export: %v", err)
	}
	tests := []struct {
		name  string
		fault func(l *importedLog, envs []events.Envelope) ([]events.Envelope, error)
		want  string
	}{
		{name: "as archived", fault: func(_ *importedLog, envs []events.Envelope) ([]events.Envelope, error) { return envs, nil }},
		{name: "an event less", want: "the store test-store, once restored, ends before the archive: agent-a1 version 3 (position 8 in the archive) is missing",
			fault: func(_ *importedLog, envs []events.Envelope) ([]events.Envelope, error) {
				return envs[:len(envs)-1], nil
			}},
		{name: "an event more", want: "the store test-store, once restored, holds more events than the archive: agent-a9 version 1 at position 9",
			fault: func(_ *importedLog, envs []events.Envelope) ([]events.Envelope, error) {
				return append(envs, extra(envs[len(envs)-1].Position+1)), nil
			}},
		{name: "another event", want: "the store test-store, once restored, differs from the archive: it holds agent-a9 version 1 where the archive holds",
			fault: func(_ *importedLog, envs []events.Envelope) ([]events.Envelope, error) {
				return append([]events.Envelope{extra(envs[0].Position)}, envs[1:]...), nil
			}},
		{name: "another hash", want: "the store test-store, once restored, differs from the archive at agent-a1 version 3: id, type or hash",
			fault: func(_ *importedLog, envs []events.Envelope) ([]events.Envelope, error) {
				last := envs[len(envs)-1]
				last.Hash[0] ^= 1
				return append(envs[:len(envs)-1:len(envs)-1], last), nil
			}},
		{name: "a failed import", want: "import: positions 1-8: refused by the store",
			fault: func(*importedLog, []events.Envelope) ([]events.Envelope, error) {
				return nil, errors.New("refused by the store")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &importedLog{fault: tc.fault}
			n, err := importChecked(t.Context(), openArchiveFile(t, exported), l, l, "test-store")
			switch {
			case tc.want == "" && (err != nil || n != 8):
				t.Fatalf("import: %d events, %v; want 8", n, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("import: %v, want %s", err, tc.want)
			}
		})
	}
}

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exportFile exports the fixed history's data dir in format to a new file
// and returns its path.
func exportFile(t *testing.T, format string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "log."+format)
	if _, err := runHive(t, "export", "--data-dir", fixedHistory(t), "--format", format, "--out", file); err != nil {
		t.Fatalf("export: %v", err)
	}
	return file
}

// editedPayload is an NDJSON export whose line 2 (agent-a1 version 1)
// shows the agent's name as "eve" while its payload_base64, which the
// hash chain covers, still says "ada".
func editedPayload(t *testing.T) string {
	t.Helper()
	file := exportFile(t, "ndjson")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	edited := strings.Replace(lines[1], `"name":"ada"`, `"name":"eve"`, 1)
	if edited == lines[1] {
		t.Fatalf("line 2 shows no name ada: %s", lines[1])
	}
	lines[1] = edited
	if err := os.WriteFile(file, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// mismatch is how the edited payload's refusal reads.
const mismatch = `line 2: stream "agent-a1" version 1, event 00000000-0000-0000-0000-000000000002: payload differs from payload_base64: at payload.name the line shows "eve", the bytes "ada"`

func TestImportRefusesAnEditedPayload(t *testing.T) {
	file := editedPayload(t)
	restored := filepath.Join(t.TempDir(), "restored")
	_, err := runHive(t, "import", file, "--data-dir", restored)
	if err == nil || !strings.Contains(err.Error(), mismatch) {
		t.Fatalf("import of an archive with an edited payload: %v, want %s", err, mismatch)
	}
	if _, err := os.Stat(restored); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused import touched the data dir: %v", err)
	}
}

func TestVerifyArchive(t *testing.T) {
	for _, format := range []string{"ndjson", "binary"} {
		t.Run(format, func(t *testing.T) {
			out, err := runHive(t, "verify", "--archive", exportFile(t, format))
			want := "ok: 8 events in 3 streams, positions 1 to 8, in the " + format + " archive"
			if err != nil || !strings.Contains(out, want) {
				t.Fatalf("verify --archive: %q, %v; want %s", out, err, want)
			}
		})
	}
	t.Run("edited payload", func(t *testing.T) {
		_, err := runHive(t, "verify", "--archive", editedPayload(t))
		if err == nil || !strings.Contains(err.Error(), mismatch) {
			t.Fatalf("verify --archive of an edited payload: %v, want %s", err, mismatch)
		}
	})
	t.Run("with --server", func(t *testing.T) {
		_, err := runHive(t, "verify", "--archive", "x.ndjson", "--server", "http://127.0.0.1:1")
		if err == nil || !strings.Contains(err.Error(), "archive") {
			t.Fatalf("verify --archive with --server: %v, want a refusal", err)
		}
	})
}

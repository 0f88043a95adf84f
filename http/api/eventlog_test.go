package api_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"hive/actors/token"
	hivev1 "hive/proto/hive/v1"
)

// tokenCreatedEvents returns the TokenCreated events of a log route's answer.
func tokenCreatedEvents(t *testing.T, r response) []map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	var out []map[string]any
	for _, e := range r.body["events"].([]any) {
		if ev := e.(map[string]any); ev["type"] == "hive.v1.TokenCreated" {
			out = append(out, ev)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no TokenCreated in %s", r.raw)
	}
	return out
}

func TestLogRoutesRedactSecretHashes(t *testing.T) {
	s := startStack(t, t.TempDir())
	viewer := s.mint(token.RoleViewer, "")
	created := s.post(t, "/v1/tokens", map[string]any{"role": "viewer", "name": "watched"})
	stream := "/v1/streams/token-" + created.body["id"].(string)
	for _, tc := range []struct {
		name, bearer, path string
		bytes              bool // the exact payload bytes are given
	}{
		{"viewer, log", viewer, "/v1/events?limit=1000", false},
		{"viewer, log, raw", viewer, "/v1/events?limit=1000&raw=true", false},
		{"viewer, stream, raw", viewer, stream + "?raw=true", false},
		{"admin, log", s.admin, "/v1/events?limit=1000", false},
		{"admin, log, raw", s.admin, "/v1/events?limit=1000&raw=true", true},
		{"admin, stream, raw", s.admin, stream + "?raw=true", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.asToken(t, tc.bearer, http.MethodGet, tc.path, nil)
			if bytes.Contains(r.raw, []byte(`"secretHash":`)) || bytes.Contains(r.raw, []byte(`"secret_hash":`)) {
				t.Fatalf("the answer shows a secret's hash: %s", r.raw)
			}
			for _, ev := range tokenCreatedEvents(t, r) {
				if red, _ := ev["redacted"].([]any); len(red) != 1 || red[0] != "secretHash" {
					t.Errorf("redacted = %v, want [secretHash]", ev["redacted"])
				}
				raw, given := ev["payload_base64"].(string)
				if given != tc.bytes {
					t.Fatalf("payload_base64 given: %v, want %v", given, tc.bytes)
				}
				if !given {
					continue
				}
				b, err := base64.StdEncoding.DecodeString(raw)
				var m hivev1.TokenCreated
				if err != nil || proto.Unmarshal(b, &m) != nil || len(m.GetSecretHash()) != token.HashSize {
					t.Errorf("an admin's raw payload is not the exact event: %v %v", err, &m)
				}
			}
			if tc.bytes || !strings.Contains(tc.path, "raw=true") {
				return
			}
			for _, e := range r.body["events"].([]any) { // events without secrets keep their bytes
				if ev := e.(map[string]any); ev["type"] != "hive.v1.TokenCreated" && ev["payload_base64"] == nil && ev["type"] != "hive.v1.TokenRevoked" {
					t.Errorf("%s without its payload bytes", ev["type"])
				}
			}
		})
	}
}

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"hive/http/api"
)

// secretMarker stands for a secret in the environment.
const secretMarker = "hive_SECRET-MARKER-0f3a"

// envNamed matches the environment variables flags' usages name.
var envNamed = regexp.MustCompile(`\benv (HIVE_[A-Z_]+)`)

// TestHelpShowsNoEnvironmentValue runs every command's --help with every
// environment variable the CLI reads (HIVE_TOKEN, and those the flags
// name) set to a secret: none may appear, as a flag's default or
// anywhere else.
func TestHelpShowsNoEnvironmentValue(t *testing.T) {
	names := []string{"HIVE_TOKEN", "HIVE_SERVER"}
	var paths [][]string
	var walk func(cmd *cobra.Command, path []string)
	walk = func(cmd *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, fs := range []*pflag.FlagSet{cmd.Flags(), cmd.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				for _, m := range envNamed.FindAllStringSubmatch(f.Usage, -1) {
					names = append(names, m[1])
					if got := f.Annotations[envAnnotation]; !slices.Equal(got, []string{m[1]}) {
						t.Errorf("hive %s --%s names %s but reads %v", strings.Join(path, " "), f.Name, m[1], got)
					}
				}
			})
		}
		for _, sub := range cmd.Commands() {
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk(newRootCommand(), nil)
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		t.Setenv(name, "http://user:"+secretMarker+"@"+secretMarker)
	}
	for _, path := range paths {
		var out bytes.Buffer
		root := newRootCommand()
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append(slices.Clone(path), "--help"))
		if err := root.ExecuteContext(t.Context()); err != nil {
			t.Errorf("hive %s --help: %v", strings.Join(path, " "), err)
		}
		if strings.Contains(out.String(), secretMarker) {
			t.Errorf("hive %s --help shows an environment variable's value:\n%s", strings.Join(path, " "), out.String())
		}
	}
}

// TestEnvironmentGivesFlagsTheirValues checks that the environment still
// gives a flag its value when the flag is not given, and that a flag given
// beats it.
func TestEnvironmentGivesFlagsTheirValues(t *testing.T) {
	s := startInProcess(t, time.Minute)
	t.Setenv("HIVE_SERVER", *s.url.Load())
	t.Setenv("HIVE_TOKEN", s.token)
	t.Setenv("HIVE_DATA_DIR", t.TempDir()) // no admin.token there
	if out := runCLI(t, "token", "list", "-o", "json"); !strings.Contains(out, `"admin"`) {
		t.Fatalf("token list with HIVE_SERVER and HIVE_TOKEN: %s", out)
	}
	root := newRootCommand()
	root.SetOut(&bytes.Buffer{})
	root.SetArgs([]string{"token", "list", "--token", "hive_not-a-token"})
	if err := root.ExecuteContext(t.Context()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("--token given beside HIVE_TOKEN: %v, want the flag's token refused", err)
	}
}

// TestNoSecretInLogsOrMetrics goes through a token's life (created, used,
// revoked, used after) and bad tokens of every kind, logging at debug
// level, and checks that neither the logs nor /metrics ever show a
// token's secret, its bearer form or its secret's hash.
func TestNoSecretInLogsOrMetrics(t *testing.T) {
	logs := newLockedBuffer()
	dir := t.TempDir()
	s := startInProcessWith(t, settings{dataDir: dir, heartbeatTimeout: time.Minute, auth: api.AuthConfig{RateLimit: 5, RateBurst: 5}},
		slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	var created struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	s.must(t, http.MethodPost, "/v1/tokens", map[string]any{"role": "viewer", "name": "leaky"}, &created)
	viewer := s.as(created.Token)
	for range 8 { // beyond its rate limit too
		viewer.call(http.MethodGet, "/v1/agents", nil, nil)
	}
	viewer.call(http.MethodGet, "/v1/tokens", nil, nil) // forbidden
	id, secret, _ := strings.Cut(strings.TrimPrefix(created.Token, "hive_"), "_")
	wrong := "hive_" + id + "_" + strings.Repeat("A", len(secret))
	s.must(t, http.MethodDelete, "/v1/tokens/"+created.ID+"?reason=test", nil, nil)
	for _, bearer := range []string{created.Token, wrong, created.Token + "x", "hive_" + secret, secret, "Basic " + secret} {
		s.as(bearer).call(http.MethodGet, "/v1/agents", nil, nil)
	}
	code, metrics := s.get(t, "/metrics")
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatalf("the scenario logged nothing at debug level; the check would prove nothing:\n%s", logs)
	}
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	hash := tokenHash(t, secret)
	secrets := map[string]string{"bearer token": created.Token, "secret": secret, "hash (hex)": hex.EncodeToString(hash),
		"hash (base64)": base64.StdEncoding.EncodeToString(hash), "admin token": s.token}
	for what, v := range secrets {
		if strings.Contains(logs.String(), v) {
			t.Errorf("the logs show the %s:\n%s", what, logs)
		}
		if strings.Contains(metrics, v) {
			t.Errorf("/metrics shows the %s", what)
		}
	}
}

// tokenHash is the hash Hive records of a bearer token's secret part.
func tokenHash(t *testing.T, secret string) []byte {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	return sum[:]
}

// get reads path without a token and returns the status and body.
func (s *sim) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := s.client.Get(*s.url.Load() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestLogToolsOnlineWithoutSecrets runs the online log tools with a viewer
// token, which the server gives no secret's hash: events list shows the
// token events without it, verify checks everything else and says what it
// could not, and export refuses rather than write an archive that cannot
// be restored. An admin's export holds the exact bytes.
func TestLogToolsOnlineWithoutSecrets(t *testing.T) {
	s := startInProcess(t, time.Minute)
	someActivity(t, s)
	var created struct {
		Token string `json:"token"`
	}
	s.must(t, http.MethodPost, "/v1/tokens", map[string]any{"role": "viewer", "name": "auditor"}, &created)
	_, secret, _ := strings.Cut(strings.TrimPrefix(created.Token, "hive_"), "_")
	hash := base64.StdEncoding.EncodeToString(tokenHash(t, secret))
	asViewer := []string{"--server", *s.url.Load(), "--token", created.Token}

	out, err := runHive(t, append([]string{"events", "list", "--all", "-o", "jsonl", "--type", "TokenCreated"}, asViewer...)...)
	if err != nil || !strings.Contains(out, `"name":"auditor"`) || strings.Contains(out, "secretHash") || strings.Contains(out, hash) {
		t.Fatalf("events list as a viewer: %v\n%s", err, out)
	}
	out, err = runHive(t, append([]string{"verify"}, asViewer...)...)
	if err != nil || !strings.HasPrefix(out, "ok: ") || !strings.Contains(out, "2 events holding secrets") {
		t.Fatalf("verify as a viewer: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "viewer.ndjson")
	if _, err := runHive(t, append([]string{"export", "--out", file}, asViewer...)...); err == nil || !strings.Contains(err.Error(), "admin") {
		t.Fatalf("export as a viewer: %v, want a refusal naming the admin token", err)
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the refused export left %s: %v", file, err)
	}
	if _, err := runHive(t, "export", "--out", file, "--server", *s.url.Load(), "--token", s.token); err != nil {
		t.Fatalf("export as the admin: %v", err)
	}
	if out, err := runHive(t, "verify", "--archive", file); err != nil {
		t.Fatalf("verify the admin's archive: %v\n%s", err, out)
	}
}

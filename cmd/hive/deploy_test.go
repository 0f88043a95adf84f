package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDockerImageOwnsItsDataDir reads deploy/Dockerfile (Docker cannot run
// in the tests): the final image runs as a numeric non-root user, serves
// the data dir /data, a volume whose directory in the image that user owns
// (so that a new named volume starts out writable by the server); and
// .dockerignore keeps data dirs, tokens and .git out of the build context.
func TestDockerImageOwnsItsDataDir(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := strings.Split(string(raw), "\nFROM ")
	final := stages[len(stages)-1]
	user := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindStringSubmatch(final)
	if user == nil || user[1] == "0" {
		t.Fatalf("the final stage sets no numeric non-root USER uid:gid:\n%s", final)
	}
	owner := regexp.MustCompile(`(?m)^COPY --from=\S+ --chown=(\d+):(\d+) \S+ /data$`).FindStringSubmatch(final)
	if owner == nil || owner[1] != user[1] || owner[2] != user[2] {
		t.Errorf("/data in the image is not owned by the user %s:%s the server runs as:\n%s", user[1], user[2], final)
	}
	if !regexp.MustCompile(`(?m)^VOLUME /data$`).MatchString(final) || !strings.Contains(final, `"--data-dir", "/data"`) {
		t.Errorf("the image does not serve the volume /data as its data dir:\n%s", final)
	}
	ignore, err := os.ReadFile(filepath.Join("..", "..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	patterns := strings.Fields(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(string(ignore), ""))
	for _, want := range []string{".git", "data", "**/*.token"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}

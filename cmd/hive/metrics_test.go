package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"hive/actors"
	"hive/actors/swarm"
)

// TestFreshMetricsListEveryCounter: a server that has done (almost)
// nothing lists every series of its labelled counters, at 0 until they
// count, so that a rate or an alert on a failure counter works from the
// start rather than from its first increment.
func TestFreshMetricsListEveryCounter(t *testing.T) {
	s := startInProcess(t, time.Minute)
	code, text := s.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	var want []string
	series := func(name, label string, values ...string) {
		for _, v := range values {
			want = append(want, fmt.Sprintf("%s{%s=%q}", name, label, v))
		}
	}
	series("hive_store_append_failures_total", "reason", "wrong_expected_version", "duplicate_event_id", "event_too_large", "invalid_argument", "canceled", "closed", "error")
	series("hive_live_clients_dropped_total", "reason", "slow", "too_old", "unknown_id")
	series("hive_reactions_total", "result", "handled", "rejected", "retried")
	entityKinds, _ := kinds(swarm.Config{})
	for _, k := range entityKinds {
		if len(k.Commands) == 0 {
			t.Errorf("kind %s lists no commands", k.Name)
		}
		for _, c := range append(slices.Clone(k.Commands), actors.Inspect{}) {
			for _, outcome := range []string{"accepted", "rejected", "failed"} {
				want = append(want, fmt.Sprintf("hive_commands_total{command=%q,kind=%q,outcome=%q}", c.CommandName(), k.Name, outcome))
			}
		}
	}
	for _, w := range want {
		if !strings.Contains(text, "\n"+w+" ") {
			t.Errorf("/metrics of a fresh server lacks %s", w)
		}
	}
}

// TestEveryCommandIsListed: each kind lists every command its package
// names (a type with a CommandName method), so that a command added later
// has its hive_commands_total series from the start too.
func TestEveryCommandIsListed(t *testing.T) {
	entityKinds, _ := kinds(swarm.Config{})
	for _, k := range entityKinds {
		listed := map[string]bool{}
		for _, c := range k.Commands {
			listed[c.CommandName()] = true
		}
		for _, name := range commandNames(t, filepath.Join("..", "..", "actors", k.Name)) {
			if !listed[name] {
				t.Errorf("kind %s does not list its command %s: add it to %s.Commands", k.Name, name, k.Name)
			}
		}
	}
}

// commandNames returns the names the CommandName methods in the Go
// package in dir return.
func commandNames(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(gotoken.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "CommandName" || len(fn.Body.List) != 1 {
				continue
			}
			ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
			if !ok || len(ret.Results) != 1 {
				t.Fatalf("%s: a CommandName that is not one return", f)
			}
			lit, ok := ret.Results[0].(*ast.BasicLit)
			if !ok || lit.Kind != gotoken.STRING {
				t.Fatalf("%s: a CommandName that returns no string literal", f)
			}
			name, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
	}
	return names
}

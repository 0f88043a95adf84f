package decision_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"hive/actors/decision"
)

func TestChecks(t *testing.T) {
	tests := []struct {
		name  string
		check func(f *decision.Fields)
		bad   bool
	}{
		{"a name", func(f *decision.Fields) { f.Name("name", "coder 1", 10) }, false},
		{"a blank name", func(f *decision.Fields) { f.Name("name", " \t", 10) }, true},
		{"a long name", func(f *decision.Fields) { f.Name("name", "ééééééééééé", 10) }, true},
		{"a name with a newline", func(f *decision.Fields) { f.Name("name", "a\nb", 10) }, true},
		{"a token", func(f *decision.Fields) { f.Token("capability", "code/go-1.26_x", 64) }, false},
		{"an empty token", func(f *decision.Fields) { f.Token("capability", "", 64) }, true},
		{"a token with a space", func(f *decision.Fields) { f.Token("capability", "a b", 64) }, true},
		{"a non-ASCII token", func(f *decision.Fields) { f.Token("capability", "é", 64) }, true},
		{"multiline text", func(f *decision.Fields) { f.Text("reason", "a\n\tb", 10, true) }, false},
		{"a newline in one-line text", func(f *decision.Fields) { f.Text("by", "a\nb", 10, false) }, true},
		{"invalid UTF-8 text", func(f *decision.Fields) { f.Text("by", "a\xff", 10, true) }, true},
		{"empty text", func(f *decision.Fields) { f.Text("by", "", 10, false) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f decision.Fields
			tc.check(&f)
			if bad := len(f) > 0; bad != tc.bad {
				t.Fatalf("fields = %+v, want bad %v", f, tc.bad)
			}
			if tc.bad && f[0].Reason == "" {
				t.Fatal("a rejection without a reason")
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	tests := []struct {
		name   string
		caps   []string
		fields []string
	}{
		{"none", nil, nil},
		{"distinct", []string{"code", "review"}, nil},
		{"bad and duplicate", []string{"code", "a b", "code"}, []string{"capabilities[1]", "capabilities[2]"}},
		{"too many: only their number", slices.Repeat([]string{"a b"}, decision.MaxCapabilities+1), []string{"capabilities"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f decision.Fields
			f.Capabilities("capabilities", tc.caps)
			var got []string
			for _, e := range f {
				got = append(got, e.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"short", "a\"b", `"a\"b"`},
		{"exactly the limit", strings.Repeat("x", decision.MaxQuoted), strconv.Quote(strings.Repeat("x", decision.MaxQuoted))},
		{"long", strings.Repeat("x", 1<<20), strconv.Quote(strings.Repeat("x", decision.MaxQuoted)) + "..."},
		{"cut before a character", strings.Repeat("x", decision.MaxQuoted-1) + "é", strconv.Quote(strings.Repeat("x", decision.MaxQuoted-1)) + "..."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decision.Quote(tc.in); got != tc.want {
				t.Fatalf("Quote = %s, want %s", got, tc.want)
			}
		})
	}
}

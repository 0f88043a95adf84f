package replay

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Op is how a field changed.
type Op string

// Ops of a Change.
const (
	Added   Op = "added"
	Removed Op = "removed"
	Changed Op = "changed"
)

// Change is one field that differs between two states: its path in the
// states' JSON (e.g. "members[2].load", "labels.team") and its values as
// JSON, From empty when Added and To empty when Removed.
type Change struct {
	Path string `json:"path"`
	Op   Op     `json:"op"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Diff returns what changed from state a to state b, field by field, in
// path order. The states are compared as their JSON: what a person or a
// program reading the states sees.
func Diff(a, b any) ([]Change, error) {
	fa, err := flatten(a)
	if err != nil {
		return nil, err
	}
	fb, err := flatten(b)
	if err != nil {
		return nil, err
	}
	var out []Change
	for p, va := range fa {
		vb, ok := fb[p]
		switch {
		case !ok:
			out = append(out, Change{Path: p, Op: Removed, From: va})
		case va != vb:
			out = append(out, Change{Path: p, Op: Changed, From: va, To: vb})
		}
	}
	for p, vb := range fb {
		if _, ok := fa[p]; !ok {
			out = append(out, Change{Path: p, Op: Added, To: vb})
		}
	}
	slices.SortFunc(out, func(x, y Change) int { return comparePaths(x.Path, y.Path) })
	return out, nil
}

// flatten maps every leaf of v's JSON (scalars, empty objects and empty
// arrays) to its value's JSON, by path.
func flatten(v any) (map[string]string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	out := map[string]string{}
	walk("", tree, out)
	return out, nil
}

func walk(path string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			out[path] = "{}"
		}
		for k, c := range x {
			walk(join(path, k), c, out)
		}
	case []any:
		if len(x) == 0 {
			out[path] = "[]"
		}
		for i, c := range x {
			walk(path+"["+strconv.Itoa(i)+"]", c, out)
		}
	default:
		b, _ := json.Marshal(x) // a value json.Unmarshal made always marshals
		out[path] = string(b)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// comparePaths orders paths by name, with array indexes in numeric order
// ("steps[2]" before "steps[10]").
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		ia, ib := leadingIndex(a), leadingIndex(b)
		if ia >= 0 && ib >= 0 && ia != ib {
			return ia - ib
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

// leadingIndex returns the array index s starts with ("[12]..." is 12), or
// -1.
func leadingIndex(s string) int {
	if s[0] != '[' {
		return -1
	}
	n, i := 0, 1
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if i == 1 || i == len(s) || s[i] != ']' {
		return -1
	}
	return n
}

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
// states' JSON (e.g. "members[agent_id=a1].load", "steps[3].status",
// "labels.team"; elements of arrays of objects are named by their id when
// they have one) and its values as JSON, From empty when Added and To empty
// when Removed.
type Change struct {
	Path string `json:"path"`
	Op   Op     `json:"op"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Diff returns what changed from state a to state b, field by field, in
// path order. The states are compared as their JSON: what a person or a
// program reading the states sees. An element of an array of objects with
// ids that only one state has is one change, with the element's JSON.
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
	whole := map[string]bool{}
	for p, va := range fa.elements {
		if _, ok := fb.elements[p]; !ok {
			out = append(out, Change{Path: p, Op: Removed, From: va})
			whole[p] = true
		}
	}
	for p, vb := range fb.elements {
		if _, ok := fa.elements[p]; !ok {
			out = append(out, Change{Path: p, Op: Added, To: vb})
			whole[p] = true
		}
	}
	out = append(out, leafChanges(fa, fb, whole)...)
	slices.SortFunc(out, func(x, y Change) int { return comparePaths(x.Path, y.Path) })
	return out, nil
}

// leafChanges compares the leaves of a and b, but for those inside the
// elements in whole.
func leafChanges(a, b flat, whole map[string]bool) []Change {
	var out []Change
	for p, va := range a.leaves {
		vb, ok := b.leaves[p]
		switch {
		case within(p, a.owner, whole):
		case !ok:
			out = append(out, Change{Path: p, Op: Removed, From: va})
		case va != vb:
			out = append(out, Change{Path: p, Op: Changed, From: va, To: vb})
		}
	}
	for p, vb := range b.leaves {
		if _, ok := a.leaves[p]; !ok && !within(p, b.owner, whole) {
			out = append(out, Change{Path: p, Op: Added, To: vb})
		}
	}
	return out
}

// within reports whether leaf p is inside one of the elements in whole.
func within(p string, owner map[string][]string, whole map[string]bool) bool {
	return slices.ContainsFunc(owner[p], func(e string) bool { return whole[e] })
}

// flat is a state's JSON flattened: its leaves (scalars, empty objects
// and empty arrays) by path, its keyed array elements' JSON by path, and
// for each leaf the keyed elements it is inside.
type flat struct {
	leaves, elements map[string]string
	owner            map[string][]string
}

// flatten flattens v's JSON.
func flatten(v any) (flat, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return flat{}, fmt.Errorf("diff: %w", err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return flat{}, fmt.Errorf("diff: %w", err)
	}
	f := flat{leaves: map[string]string{}, elements: map[string]string{}, owner: map[string][]string{}}
	f.walk("", nil, tree)
	return f, nil
}

// walk flattens v at path, inside the keyed elements in owners.
func (f *flat) walk(path string, owners []string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			f.leaf(path, owners, "{}")
		}
		for k, c := range x {
			f.walk(join(path, k), owners, c)
		}
	case []any:
		if len(x) == 0 {
			f.leaf(path, owners, "[]")
		}
		key := elementKey(x)
		for i, c := range x {
			if key == "" {
				f.walk(path+"["+strconv.Itoa(i)+"]", owners, c)
				continue
			}
			p := path + "[" + key + "=" + c.(map[string]any)[key].(string) + "]"
			b, _ := json.Marshal(c) // a value json.Unmarshal made always marshals
			f.elements[p] = string(b)
			f.walk(p, append(slices.Clip(owners), p), c)
		}
	default:
		b, _ := json.Marshal(x) // a value json.Unmarshal made always marshals
		f.leaf(path, owners, string(b))
	}
}

func (f *flat) leaf(path string, owners []string, v string) {
	f.leaves[path] = v
	if len(owners) > 0 {
		f.owner[path] = owners
	}
}

// keyFields are the fields that identify the elements of an array of
// objects, in the order tried: an element added to or removed from the
// middle of such an array is one change, not a shift of all that follow.
var keyFields = []string{"id", "agent_id", "task_id"}

// elementKey returns the first of keyFields that every element of x has,
// as a string unique among them, or "" if none does.
func elementKey(x []any) string {
	for _, k := range keyFields {
		seen := make(map[string]bool, len(x))
		for _, c := range x {
			m, ok := c.(map[string]any)
			v, ok2 := m[k].(string)
			if !ok || !ok2 || seen[v] {
				seen = nil
				break
			}
			seen[v] = true
		}
		if seen != nil {
			return k
		}
	}
	return ""
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

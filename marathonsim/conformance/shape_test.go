package conformance

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// shapeOptions tune shapeDiff.
type shapeOptions struct {
	// AllowExtra accepts fields the expected shape does not have (used for
	// go-marathon's older fixture: the client ignores unknown fields).
	AllowExtra bool
	// FreeForm lists paths of objects whose keys are data (env, labels):
	// only their type is compared.
	FreeForm []string
	// Ignore lists paths whose subtree is not compared at all.
	Ignore []string
}

// shapeDiff walks want and got (decoded JSON) and reports, sorted, every
// path that is missing from got, extra in got, or of a different JSON type.
// Paths look like `$.apps[].portDefinitions[].port`. Array elements of got
// are compared with the first element of want; empty arrays on either side
// say nothing about their elements.
func shapeDiff(want, got any, opts shapeOptions) []string {
	w := &walker{opts: opts, seen: map[string]bool{}}
	w.walk("$", want, got)
	sort.Strings(w.out)
	return w.out
}

type walker struct {
	opts shapeOptions
	seen map[string]bool
	out  []string
}

func (w *walker) report(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !w.seen[msg] {
		w.seen[msg] = true
		w.out = append(w.out, msg)
	}
}

func matches(path string, list []string) bool {
	for _, p := range list {
		if path == p {
			return true
		}
	}
	return false
}

func (w *walker) walk(path string, want, got any) {
	if matches(path, w.opts.Ignore) {
		return
	}
	wt, gt := jsonType(want), jsonType(got)
	if wt != gt {
		w.report("%s: type %s, want %s", path, gt, wt)
		return
	}
	switch want := want.(type) {
	case map[string]any:
		if matches(path, w.opts.FreeForm) {
			return
		}
		got := got.(map[string]any)
		for k, wv := range want {
			p := path + "." + k
			gv, ok := got[k]
			if !ok {
				if !matches(p, w.opts.Ignore) {
					w.report("%s: missing (%s)", p, jsonType(wv))
				}
				continue
			}
			w.walk(p, wv, gv)
		}
		if w.opts.AllowExtra {
			return
		}
		for k, gv := range got {
			p := path + "." + k
			if _, ok := want[k]; !ok && !matches(p, w.opts.Ignore) {
				w.report("%s: extra (%s)", p, jsonType(gv))
			}
		}
	case []any:
		got := got.([]any)
		if len(want) == 0 {
			return
		}
		for _, g := range got {
			w.walk(path+"[]", want[0], g)
		}
	}
}

// decode parses JSON, failing the test on error.
func decode(t *testing.T, what string, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", what, err, data)
	}
	return v
}

// patch is one documented, intentional change to a recorded shape.
type patch struct {
	path string // "$.a.b[].c"; the last element is the field to change
	op   string // "set" (add or replace the field with value), "del", "rename" (to value.(string))
	val  any
	why  string // the reason, from BEHAVIOUR.md
}

func set(path string, val any, why string) patch { return patch{path, "set", val, why} }
func del(path, why string) patch                 { return patch{path, "del", nil, why} }
func rename(path, to, why string) patch          { return patch{path, "rename", to, why} }

// applyPatches returns a deep copy of doc with the patches applied; a patch
// whose parent path does not exist fails the test (the recording changed).
func applyPatches(t *testing.T, doc any, patches []patch) any {
	t.Helper()
	doc = deepCopy(doc)
	for _, p := range patches {
		parent, field := splitPath(p.path)
		n := 0
		forEach(doc, parent, func(obj map[string]any) {
			n++
			switch p.op {
			case "set":
				obj[field] = normalize(t, p.val)
			case "del":
				delete(obj, field)
			case "rename":
				if v, ok := obj[field]; ok {
					delete(obj, field)
					obj[p.val.(string)] = v
				}
			}
		})
		if n == 0 {
			t.Fatalf("patch %s %s: no object at %s", p.op, p.path, parent)
		}
	}
	return doc
}

func splitPath(path string) (parent, field string) {
	i := strings.LastIndexByte(path, '.')
	return path[:i], path[i+1:]
}

// forEach calls f for every object at path ("$", "$.a", "$.a[].b", "$[]").
func forEach(v any, path string, f func(map[string]any)) {
	if path == "$" {
		if m, ok := v.(map[string]any); ok {
			f(m)
		}
		return
	}
	rest := strings.TrimPrefix(path, "$")
	var step func(v any, rest string)
	step = func(v any, rest string) {
		if rest == "" {
			if m, ok := v.(map[string]any); ok {
				f(m)
			}
			return
		}
		if strings.HasPrefix(rest, "[]") {
			arr, _ := v.([]any)
			for _, e := range arr {
				step(e, rest[2:])
			}
			return
		}
		rest = strings.TrimPrefix(rest, ".")
		end := strings.IndexAny(rest, ".[")
		if end < 0 {
			end = len(rest)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if child, ok := m[rest[:end]]; ok {
			step(child, rest[end:])
		}
	}
	step(v, rest)
}

// normalize turns a Go value into its decoded-JSON form.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("normalize %#v: %v", v, err)
	}
	return decode(t, "normalized value", b)
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = deepCopy(e)
		}
		return a
	default:
		return v
	}
}

// get returns the value at a path without arrays ("$.apps").
func get(v any, path string) any {
	var out any
	parent, field := splitPath(path)
	forEach(v, parent, func(m map[string]any) {
		if out == nil {
			out = m[field]
		}
	})
	return out
}

package reconciler

import (
	"fmt"
	"strconv"
	"strings"
)

// JSON pointers (RFC 6901) for ignoreDifferences.

// parsePointer splits a JSON pointer into unescaped tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("json pointer %q must start with /", p)
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// getPointer returns the value at toks in v.
func getPointer(v any, toks []string) (any, bool) {
	for _, t := range toks {
		switch c := v.(type) {
		case map[string]any:
			e, ok := c[t]
			if !ok {
				return nil, false
			}
			v = e
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// setPointer sets (or, when ok is false, removes) the value at toks in root,
// creating intermediate objects. It reports whether it could.
func setPointer(root map[string]any, toks []string, val any, ok bool) bool {
	if len(toks) == 0 {
		return false
	}
	var cur any = root
	for i, t := range toks {
		last := i == len(toks)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if ok {
					c[t] = val
				} else {
					delete(c, t)
				}
				return true
			}
			next, exists := c[t]
			if !exists || next == nil {
				if !ok {
					return true
				}
				next = map[string]any{}
				c[t] = next
			}
			cur = next
		case []any:
			idx, err := strconv.Atoi(t)
			if err != nil || idx < 0 || idx >= len(c) {
				return false
			}
			if last {
				if ok {
					c[idx] = val
					return true
				}
				return false // removing from a list would shift indexes
			}
			cur = c[idx]
		default:
			return false
		}
	}
	return false
}

// ignore copies the value at each pointer from src into dst (or removes it
// from dst when src has none), so the pointed-at field never differs.
func ignore(dst, src map[string]any, pointers []string) error {
	for _, p := range pointers {
		toks, err := parsePointer(p)
		if err != nil {
			return err
		}
		v, ok := getPointer(src, toks)
		setPointer(dst, toks, deepCopy(v), ok)
	}
	return nil
}

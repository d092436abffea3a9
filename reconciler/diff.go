package reconciler

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
)

// Op is the kind of a field change.
type Op string

// Field change kinds.
const (
	OpAdd    Op = "add"
	OpRemove Op = "remove"
	OpChange Op = "change"
)

// Change is one field difference between live and desired.
type Change struct {
	// Path is the field path, e.g. container.docker.image, env.LOG_LEVEL,
	// labels["pacer.dev/managed-by"], healthChecks[0].path.
	Path string `json:"path"`
	// Op is add (only in git), remove (only in Marathon) or change.
	Op Op `json:"op"`
	// Old is the live value (absent for add).
	Old any `json:"old,omitempty"`
	// New is the desired value (absent for remove).
	New any `json:"new,omitempty"`
	// Masked means Old and New are "(masked <hash>)" stand-ins of env or
	// secrets values (see mask.go), never the values.
	Masked bool `json:"masked,omitempty"`
}

// String renders the change as `path: "old" → "new"`, `path: + new` or
// `path: - old`.
func (c Change) String() string {
	switch c.Op {
	case OpAdd:
		return fmt.Sprintf("%s: + %s", c.Path, c.NewText())
	case OpRemove:
		return fmt.Sprintf("%s: - %s", c.Path, c.OldText())
	default:
		return fmt.Sprintf("%s: %s → %s", c.Path, c.OldText(), c.NewText())
	}
}

// OldText renders Old as compact JSON, or as its "(masked <hash>)" stand-in.
func (c Change) OldText() string { return c.text(c.Old) }

// NewText renders New as compact JSON, or as its "(masked <hash>)" stand-in.
func (c Change) NewText() string { return c.text(c.New) }

func (c Change) text(v any) string {
	if c.Masked {
		return maskedText(v)
	}
	return render(v)
}

// render prints a normalized value as compact JSON (maps with sorted keys).
func render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Diff returns the changes that turn live into desired; both must be
// normalized. Map keys are visited in sorted order, so the result is
// deterministic; it is empty when they are equal.
func Diff(live, desired map[string]any) []Change {
	if equalValue(live, desired) {
		return nil
	}
	var out []Change
	diffValue("", live, desired, &out)
	return out
}

// isIdent reports whether key matches ^[A-Za-z_][A-Za-z0-9_]*$ (printed
// as .key, others as ["key"]).
func isIdent(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// equalValue is a fast deep equality of decoded JSON values, so that the
// common unchanged app never builds field paths.
func equalValue(a, b any) bool {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !equalValue(x, y) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !equalValue(av[i], bv[i]) {
				return false
			}
		}
		return true
	case string:
		bv, ok := b.(string)
		return ok && av == bv
	case float64:
		bv, ok := b.(float64)
		return ok && av == bv
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	case nil:
		return b == nil
	}
	return reflect.DeepEqual(a, b)
}

func keyPath(path, key string) string {
	if isIdent(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func diffValue(path string, old, want any, out *[]Change) {
	om, oIsMap := old.(map[string]any)
	nm, nIsMap := want.(map[string]any)
	if oIsMap && nIsMap {
		keys := make([]string, 0, len(om)+len(nm))
		for k := range om {
			keys = append(keys, k)
		}
		for k := range nm {
			if _, ok := om[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			ov, inOld := om[k]
			nv, inNew := nm[k]
			p := keyPath(path, k)
			_, oMap := ov.(map[string]any)
			_, nMap := nv.(map[string]any)
			switch {
			case !inOld && nMap:
				diffValue(p, map[string]any{}, nv, out) // env.LOG_LEVEL: + "debug"
			case !inNew && oMap:
				diffValue(p, ov, map[string]any{}, out)
			case !inOld:
				*out = append(*out, Change{Path: p, Op: OpAdd, New: nv})
			case !inNew:
				*out = append(*out, Change{Path: p, Op: OpRemove, Old: ov})
			default:
				diffValue(p, ov, nv, out)
			}
		}
		return
	}
	ol, oIsList := old.([]any)
	nl, nIsList := want.([]any)
	if oIsList && nIsList {
		diffList(path, ol, nl, out)
		return
	}
	if !reflect.DeepEqual(old, want) {
		*out = append(*out, Change{Path: path, Op: OpChange, Old: old, New: want})
	}
}

// diffList compares lists element by element when their lengths match;
// otherwise it pairs up equal elements and reports the rest as removed or
// added, so that dropping one constraint shows as one removal.
func diffList(path string, old, want []any, out *[]Change) {
	if len(old) == len(want) {
		for i := range old {
			diffValue(indexPath(path, i), old[i], want[i], out)
		}
		return
	}
	usedNew := make([]bool, len(want))
	matchedOld := make([]bool, len(old))
	for i, o := range old {
		for j, n := range want {
			if !usedNew[j] && reflect.DeepEqual(o, n) {
				usedNew[j], matchedOld[i] = true, true
				break
			}
		}
	}
	for i, o := range old {
		if !matchedOld[i] {
			*out = append(*out, Change{Path: indexPath(path, i), Op: OpRemove, Old: o})
		}
	}
	for j, n := range want {
		if !usedNew[j] {
			*out = append(*out, Change{Path: indexPath(path, j), Op: OpAdd, New: n})
		}
	}
}

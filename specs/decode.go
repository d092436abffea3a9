package specs

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxVisits bounds how many values one document may expand to through YAML
// aliases and merge keys, so an alias bomb fails fast instead of eating memory.
const maxVisits = 1 << 20

// decoder turns a YAML node tree into plain values (map[string]any, []any,
// string, float64, int64, bool) checked against a shape. It records every
// problem with its position and keeps going, so one pass reports them all.
type decoder struct {
	file      string
	errs      Errors
	visits    int
	exhausted bool
	// docLine is the first line of the document being decoded: an alias to
	// an anchor above it refers to an earlier document.
	docLine int
}

// foreignAlias reports an alias whose anchor belongs to an earlier
// document. YAML scopes anchors to their document (YAML 1.2 §6.9.2,
// "anchors ... scoped to the document"); yaml.v3 resolves them across the
// stream, which would silently copy values between documents.
func (d *decoder) foreignAlias(n *yaml.Node, p fieldPath) bool {
	if n.Kind != yaml.AliasNode || n.Alias == nil || n.Alias.Line >= d.docLine {
		return false
	}
	d.errorAt(n, p, "alias *%s refers to the anchor &%s of an earlier document (line %d); YAML anchors are scoped to their document, define the anchor in this one", n.Value, n.Value, n.Alias.Line)
	return true
}

// fieldPath is a lazily rendered dotted path; it is only turned into a string
// when a problem is reported, which keeps decoding large trees cheap. Paths
// are values: a container's path moves to the heap once, its children point
// to it.
type fieldPath struct {
	parent *fieldPath
	key    string
	index  int
	isItem bool // index is used, not key
}

func (p *fieldPath) child(key string) fieldPath { return fieldPath{parent: p, key: key} }
func (p *fieldPath) item(i int) fieldPath       { return fieldPath{parent: p, index: i, isItem: true} }

func (p fieldPath) String() string {
	prefix := ""
	if p.parent != nil {
		prefix = p.parent.String()
	}
	switch {
	case p.isItem:
		return prefix + "[" + strconv.Itoa(p.index) + "]"
	case p.key == "":
		return prefix
	case prefix == "":
		return p.key
	}
	return prefix + "." + p.key
}

func (d *decoder) errorAt(n *yaml.Node, p fieldPath, format string, args ...any) {
	// Cloning the path's string keeps p from escaping (its String may
	// return p.key itself): decoding then keeps every path on the stack.
	field := strings.Clone(p.String())
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Col: n.Column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// visit counts one value and reports false once the document is too large.
func (d *decoder) visit(n *yaml.Node, p fieldPath) bool {
	if d.exhausted {
		return false
	}
	d.visits++
	if d.visits > maxVisits {
		d.exhausted = true
		d.errorAt(n, p, "document expands to more than %d values through aliases; refusing it (alias bomb?)", maxVisits)
		return false
	}
	return true
}

// decode checks n against s. It returns nil for a YAML null, which callers
// treat as "absent" (and overlays as "remove").
func (d *decoder) decode(n *yaml.Node, s *shape, p fieldPath) any {
	if !d.visit(n, p) {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		if d.foreignAlias(n, p) {
			return nil
		}
		return d.decode(n.Alias, s, p)
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	switch s.kind {
	case kindObject:
		return d.object(n, s, p)
	case kindMap:
		return d.mapping(n, s, p)
	case kindArray:
		return d.array(n, s, p)
	case kindUnion:
		return d.union(n, s, p)
	case kindAny:
		return d.anyValue(n, p)
	default:
		return d.scalar(n, s, p)
	}
}

func (d *decoder) wrongType(n *yaml.Node, s *shape, p fieldPath) {
	if n.Kind == yaml.ScalarNode && s.scalarMsg != "" {
		d.errorAt(n, p, "%s", s.scalarMsg)
		return
	}
	got := describeNode(n)
	if s.kind == kindString && n.Kind == yaml.ScalarNode {
		d.errorAt(n, p, "must be a string, got %s; quote it: %q", got, n.Value)
		return
	}
	d.errorAt(n, p, "must be %s, got %s", s.kind.typeName(), got)
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!str":
		return "a string"
	case "!!null":
		return "null"
	}
	return "a value tagged " + n.Tag
}

func (d *decoder) scalar(n *yaml.Node, s *shape, p fieldPath) any {
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, s, p)
		return nil
	}
	tag := n.ShortTag()
	switch {
	case s.kind == kindString && tag == "!!str":
		if len(s.enum) > 0 && !contains(s.enum, n.Value) {
			d.errorAt(n, p, "must be one of %s, got %q", strings.Join(s.enum, ", "), n.Value)
			return nil
		}
		return n.Value
	case s.kind == kindBool && tag == "!!bool":
		return strings.EqualFold(n.Value, "true")
	case s.kind == kindInteger && tag == "!!int":
		v, err := parseInt(n)
		if err != nil {
			d.errorAt(n, p, "must be %s, got %q", s.kind.typeName(), n.Value)
			return nil
		}
		if !d.inRange(n, s, p, float64(v)) {
			return nil
		}
		return v
	case s.kind == kindNumber && (tag == "!!int" || tag == "!!float"):
		v, err := parseFloat(n)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			d.errorAt(n, p, "must be a finite number, got %q", n.Value)
			return nil
		}
		if !d.inRange(n, s, p, v) {
			return nil
		}
		return v
	}
	d.wrongType(n, s, p)
	return nil
}

func (d *decoder) inRange(n *yaml.Node, s *shape, p fieldPath, v float64) bool {
	if s.min != nil && v < *s.min {
		d.errorAt(n, p, "must be at least %s, got %s", formatNum(*s.min), n.Value)
		return false
	}
	if s.max != nil && v > *s.max {
		d.errorAt(n, p, "must be at most %s, got %s", formatNum(*s.max), n.Value)
		return false
	}
	return true
}

func formatNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func parseInt(n *yaml.Node) (int64, error) {
	if v, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
		return v, nil
	}
	var v int64
	err := n.Decode(&v)
	return v, err
}

func parseFloat(n *yaml.Node) (float64, error) {
	if v, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return v, nil
	}
	var v float64
	err := n.Decode(&v)
	return v, err
}

func (d *decoder) union(n *yaml.Node, s *shape, p fieldPath) any {
	node := n
	for _, alt := range s.alts {
		switch {
		case node.Kind == yaml.MappingNode && (alt.kind == kindObject || alt.kind == kindMap),
			node.Kind == yaml.SequenceNode && alt.kind == kindArray,
			node.Kind == yaml.ScalarNode && alt.kind <= kindBool:
			return d.decode(node, alt, p)
		}
	}
	names := make([]string, len(s.alts))
	for i, alt := range s.alts {
		names[i] = alt.kind.typeName()
	}
	d.errorAt(n, p, "must be %s, got %s", strings.Join(names, " or "), describeNode(n))
	return nil
}

func (d *decoder) anyValue(n *yaml.Node, p fieldPath) any {
	switch n.Kind {
	case yaml.MappingNode:
		out := map[string]any{}
		for _, kv := range d.pairs(n, p) {
			out[kv.key.Value] = d.decode(kv.value, &shape{kind: kindAny}, p.child(kv.key.Value))
		}
		return out
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			out = append(out, d.decode(c, &shape{kind: kindAny}, p.item(i)))
		}
		return out
	}
	var v any
	if err := n.Decode(&v); err != nil {
		d.errorAt(n, p, "cannot decode value: %v", err)
	}
	return v
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

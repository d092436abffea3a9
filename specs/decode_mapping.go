package specs

import (
	"fmt"
	"maps"
	"slices"

	"go.yaml.in/yaml/v3"
)

// pair is one key and value of a mapping, after merge keys (<<) are applied.
type pair struct {
	key, value *yaml.Node
}

func (d *decoder) object(n *yaml.Node, s *shape, p fieldPath) any {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, s, p)
		return nil
	}
	out := make(map[string]any, len(n.Content)/2)
	d.eachPair(n, p, func(k, v *yaml.Node) {
		fs, ok := s.fields[k.Value]
		if !ok {
			d.unknownField(k, s, p, k.Value)
			return
		}
		out[k.Value] = d.decode(v, fs, p.child(k.Value))
	})
	for _, req := range s.required {
		if v, ok := out[req]; !ok || v == nil {
			if !ok || !d.failedAt(p.child(req)) {
				d.errorAt(n, p, "missing required field %q", req)
			}
		}
	}
	return out
}

// failedAt reports whether a problem was already recorded for exactly p, so
// a wrongly typed required field is not also reported as missing.
func (d *decoder) failedAt(p fieldPath) bool {
	want := p.String()
	for _, e := range d.errs {
		if e.Field == want {
			return true
		}
	}
	return false
}

func (d *decoder) unknownField(key *yaml.Node, s *shape, p fieldPath, name string) {
	if hint, ok := s.hints[name]; ok {
		d.errorAt(key, p.child(name), "%s", hint)
		return
	}
	msg := fmt.Sprintf("unknown field %q", name)
	if best := closest(name, s.fields); best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	}
	d.errorAt(key, p, "%s", msg)
}

func (d *decoder) mapping(n *yaml.Node, s *shape, p fieldPath) any {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, s, p)
		return nil
	}
	out := make(map[string]any, len(n.Content)/2)
	d.eachPair(n, p, func(k, v *yaml.Node) {
		out[k.Value] = d.decode(v, s.elem, p.child(k.Value))
	})
	return out
}

func (d *decoder) array(n *yaml.Node, s *shape, p fieldPath) any {
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, s, p)
		return nil
	}
	if len(n.Content) < s.minItems {
		d.errorAt(n, p, "must not be empty")
	}
	out := make([]any, 0, len(n.Content))
	for i, c := range n.Content {
		ip := p.item(i)
		v := d.decode(c, s.elem, ip)
		if v == nil {
			if resolve(c).ShortTag() == "!!null" {
				d.errorAt(c, ip, "must not be null")
			}
			continue
		}
		out = append(out, v)
	}
	return out
}

// pairList is the pairs of a mapping with a lookup by key; large mappings get
// an index so a huge file cannot make duplicate detection quadratic.
type pairList struct {
	pairs []pair
	index map[string]int
}

func (l *pairList) find(key string) *pair {
	if l.index != nil {
		if i, ok := l.index[key]; ok {
			return &l.pairs[i]
		}
		return nil
	}
	for i := range l.pairs {
		if l.pairs[i].key.Value == key {
			return &l.pairs[i]
		}
	}
	return nil
}

func (l *pairList) add(kv pair) {
	l.pairs = append(l.pairs, kv)
	if l.index == nil && len(l.pairs) > 32 {
		l.index = make(map[string]int, 2*len(l.pairs))
		for i, p := range l.pairs {
			l.index[p.key.Value] = i
		}
	} else if l.index != nil {
		l.index[kv.key.Value] = len(l.pairs) - 1
	}
}

// pairs lists the keys and values of a mapping, reporting duplicate and
// non-scalar keys, and applies merge keys: explicit keys win, then the merged
// mappings in order.
func (d *decoder) pairs(n *yaml.Node, p fieldPath) []pair {
	l := &pairList{pairs: make([]pair, 0, len(n.Content)/2)}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorAt(k, p, "mapping keys must be strings, got %s", describeNode(k))
			continue
		}
		if first := l.find(k.Value); first != nil {
			d.errorAt(k, p, "duplicate key %q (first at line %d)", k.Value, first.key.Line)
			continue
		}
		l.add(pair{k, v})
	}
	for _, m := range merges {
		d.merge(l, m, p)
	}
	return l.pairs
}

func (d *decoder) merge(l *pairList, m *yaml.Node, p fieldPath) {
	if !d.visit(m, p) || d.foreignAlias(m, p) {
		return
	}
	m = resolve(m)
	var sources []*yaml.Node
	switch m.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{m}
	case yaml.SequenceNode:
		sources = m.Content
	default:
		d.errorAt(m, p, "a merge key (<<) needs a mapping or a list of mappings")
		return
	}
	for _, src := range sources {
		if d.foreignAlias(src, p) {
			continue
		}
		src = resolve(src)
		if src.Kind != yaml.MappingNode {
			d.errorAt(src, p, "a merge key (<<) needs a mapping or a list of mappings")
			continue
		}
		for _, kv := range d.pairs(src, p) {
			if !d.visit(kv.key, p) {
				return
			}
			if l.find(kv.key.Value) == nil {
				l.add(kv)
			}
		}
	}
}

// simpleMapping reports whether a small mapping has only distinct scalar
// keys and no merge key, so its pairs can be read from n.Content directly
// without building a list: the common case, and the hot path.
func simpleMapping(n *yaml.Node) bool {
	c := n.Content
	if len(c) > 32 || len(c)%2 != 0 {
		return false
	}
	for i := 0; i < len(c); i += 2 {
		k := c[i]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" || (k.Tag == "" && k.Value == "<<") {
			return false
		}
		for j := 0; j < i; j += 2 {
			if c[j].Value == k.Value {
				return false
			}
		}
	}
	return true
}

// eachPair calls fn for every key and value of mapping n, after merge keys
// are applied and duplicates reported (see pairs).
func (d *decoder) eachPair(n *yaml.Node, p fieldPath, fn func(k, v *yaml.Node)) {
	if simpleMapping(n) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			fn(n.Content[i], n.Content[i+1])
		}
		return
	}
	for _, kv := range d.pairs(n, p) {
		fn(kv.key, kv.value)
	}
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// closest suggests the known field nearest to a misspelt one, if any is close.
func closest(name string, fields map[string]*shape) string {
	return ClosestName(name, slices.Collect(maps.Keys(fields)))
}

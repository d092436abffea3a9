package specs

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeDocument checks one YAML document against its kind and adds what it
// defines to r.
func decodeDocument(r *fileResult, doc *yaml.Node, sh *shapes) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	d := &decoder{file: r.name, docLine: doc.Content[0].Line}
	defer func() { r.errs = append(r.errs, d.errs...) }()
	if d.foreignAlias(doc.Content[0], fieldPath{}) {
		return
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return // an empty document, or one with only comments
	}
	if root.Kind != yaml.MappingNode {
		d.errorAt(root, fieldPath{}, "a spec document must be a mapping with apiVersion, kind, metadata and spec, got %s", describeNode(root))
		return
	}
	kindNode := lookup(root, "kind")
	if kindNode == nil {
		d.errorAt(root, fieldPath{}, "missing required field %q (%s or %s)", "kind", KindCluster, KindServiceGroup)
		return
	}
	s := sh.forKind(kindNode.Value)
	if s == nil || kindNode.Kind != yaml.ScalarNode {
		d.errorAt(kindNode, fieldPath{key: "kind"}, "unknown kind %q; want %s or %s", kindNode.Value, KindCluster, KindServiceGroup)
		return
	}
	v, _ := d.decode(root, s, fieldPath{}).(map[string]any)
	if d.exhausted || v == nil {
		return
	}
	switch kindNode.Value {
	case KindCluster:
		if c := buildCluster(d, root, v, r.name); c != nil {
			r.clusters = append(r.clusters, c)
		}
	case KindServiceGroup:
		if g := buildGroup(d, root, v, r.name); g != nil {
			r.groups = append(r.groups, g)
		}
	}
}

// lookup returns the value of key in mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// lookupKey returns the key node of key in mapping n, or nil.
func lookupKey(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// at walks n along keys (strings for mappings, ints for lists) and returns
// the deepest node it reaches, so a problem about a missing field is still
// reported at its parent.
func at(n *yaml.Node, keys ...any) *yaml.Node {
	if n == nil {
		return nil
	}
	cur := resolve(n)
	for _, k := range keys {
		var next *yaml.Node
		switch k := k.(type) {
		case string:
			next = lookup(cur, k)
		case int:
			if cur.Kind == yaml.SequenceNode && k >= 0 && k < len(cur.Content) {
				next = resolve(cur.Content[k])
			}
		}
		if next == nil {
			return cur
		}
		cur = next
	}
	return cur
}

// has reports whether n has a node at exactly keys.
func has(n *yaml.Node, keys ...any) bool {
	if n == nil || len(keys) == 0 {
		return false
	}
	parent := at(n, keys[:len(keys)-1]...)
	if len(keys) > 1 && at(n, keys...) == parent {
		return false
	}
	switch k := keys[len(keys)-1].(type) {
	case string:
		return lookup(parent, k) != nil
	case int:
		return parent.Kind == yaml.SequenceNode && k < len(parent.Content)
	}
	return false
}

// fieldBroken reports whether a decoding problem lies at or under prefix.
func fieldBroken(errs Errors, prefix string) bool {
	for _, e := range errs {
		if e.Field == prefix || strings.HasPrefix(e.Field, prefix+".") || strings.HasPrefix(e.Field, prefix+"[") {
			return true
		}
	}
	return false
}

package specs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Locator places fields of rendered apps in the spec files of a tree, so
// that Marathon's 422 errors point at the line that sets the rejected
// field. Files are parsed lazily, only when an error needs them. A Locator
// is safe for concurrent use.
type Locator struct {
	fsys  fs.FS
	mu    sync.Mutex
	files map[string][]*yaml.Node // file → documents (nil when unreadable)
}

// NewLocator reads spec files from fsys, the tree the apps were loaded from.
func NewLocator(fsys fs.FS) *Locator {
	return &Locator{fsys: fsys, files: map[string][]*yaml.Node{}}
}

// Locate returns app's locate function: given an RFC 6901 pointer into the
// app's Marathon definition, it returns file:line:col of the YAML node that
// sets it, or "" when the pointer names the app itself (its Source is the
// place then). An environment override of the field wins over the app body;
// a field set by a default or an overlay elsewhere falls back to its closest
// ancestor the app spells out.
func (l *Locator) Locate(app App) func(pointer string) string {
	return func(pointer string) string {
		segs := pointerSegments(pointer)
		body := l.appNode(app.Source)
		if body == nil || len(segs) == 0 {
			return ""
		}
		if env := yamlChild(yamlChild(body, "environments"), app.Environment); env != nil {
			if n, depth := yamlWalk(env, segs); n != nil && depth == len(segs) && depth > 0 {
				return nodePosition(app.Source.File, n)
			}
		}
		n, _ := yamlWalk(body, segs)
		return nodePosition(app.Source.File, n)
	}
}

// appNode finds the mapping value whose key sits at src's line and column.
func (l *Locator) appNode(src Source) *yaml.Node {
	for _, doc := range l.docs(src.File) {
		if n := findKeyAt(doc, src.Line, src.Col); n != nil {
			return n
		}
	}
	return nil
}

func (l *Locator) docs(file string) []*yaml.Node {
	l.mu.Lock()
	defer l.mu.Unlock()
	if docs, ok := l.files[file]; ok {
		return docs
	}
	var docs []*yaml.Node
	data, err := fs.ReadFile(l.fsys, file)
	if err == nil {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc yaml.Node
			if err := dec.Decode(&doc); err != nil {
				if !errors.Is(err, io.EOF) {
					docs = nil
				}
				break
			}
			docs = append(docs, &doc)
		}
	}
	l.files[file] = docs
	return docs
}

// findKeyAt returns the value of the mapping key at line:col (or the node
// itself when a mapping starts there).
func findKeyAt(n *yaml.Node, line, col int) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Line == line && k.Column == col {
				return n.Content[i+1]
			}
		}
	}
	for _, c := range n.Content {
		if found := findKeyAt(c, line, col); found != nil {
			return found
		}
	}
	return nil
}

// yamlWalk follows segs from n as far as the YAML spells them out and
// returns the deepest node reached and how many segments it matched.
func yamlWalk(n *yaml.Node, segs []string) (*yaml.Node, int) {
	for i, s := range segs {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			next = yamlChild(n, s)
		case yaml.SequenceNode:
			if idx, err := strconv.Atoi(s); err == nil && idx >= 0 && idx < len(n.Content) {
				next = n.Content[idx]
			}
		}
		if next == nil {
			return n, i
		}
		n = next
	}
	return n, len(segs)
}

// yamlChild returns the value of key in mapping n.
func yamlChild(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func pointerSegments(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
	}
	return segs
}

func nodePosition(file string, n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", file, n.Line, n.Column)
}

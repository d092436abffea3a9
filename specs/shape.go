package specs

// kind is the type of a value in a spec document.
type kind uint8

const (
	kindAny     kind = iota // any YAML value, kept as decoded
	kindString              // a YAML string (quoted when it looks like a number)
	kindNumber              // an int or a float
	kindInteger             // an int
	kindBool                // true or false
	kindObject              // a mapping with known fields
	kindMap                 // a mapping from free string keys to elem
	kindArray               // a sequence of elem
	kindUnion               // one of alts, chosen by the YAML node kind
)

// shape describes what a value may look like. One description drives strict
// decoding (with positions) and the JSON Schema, so the two cannot disagree.
type shape struct {
	kind     kind
	doc      string
	fields   map[string]*shape // kindObject
	required []string          // kindObject
	elem     *shape            // kindMap values, kindArray items
	enum     []string          // kindString
	pattern  string            // kindString, documented in the schema only
	min, max *float64          // kindNumber, kindInteger
	minItems int               // kindArray
	alts     []*shape          // kindUnion
	ref      string            // name under the schema's definitions
	useDoc   string            // documentation of one use of a named shape
	// hints replace "unknown field" for fields users are likely to write.
	hints map[string]string
	// scalarMsg replaces the type error when a scalar is given, e.g. for an
	// inline secret.
	scalarMsg string
}

func str(doc string) *shape                { return &shape{kind: kindString, doc: doc} }
func num(doc string) *shape                { return &shape{kind: kindNumber, doc: doc} }
func integer(doc string) *shape            { return &shape{kind: kindInteger, doc: doc} }
func boolean(doc string) *shape            { return &shape{kind: kindBool, doc: doc} }
func anyValue(doc string) *shape           { return &shape{kind: kindAny, doc: doc} }
func arrayOf(elem *shape) *shape           { return &shape{kind: kindArray, elem: elem} }
func mapOf(elem *shape) *shape             { return &shape{kind: kindMap, elem: elem} }
func union(doc string, a ...*shape) *shape { return &shape{kind: kindUnion, doc: doc, alts: a} }

func object(doc string, fields map[string]*shape, required ...string) *shape {
	return &shape{kind: kindObject, doc: doc, fields: fields, required: required}
}

func enum(doc string, values ...string) *shape {
	return &shape{kind: kindString, doc: doc, enum: values}
}

// atLeast sets a minimum and returns s, for chaining.
func (s *shape) atLeast(v float64) *shape { s.min = &v; return s }

// atMost sets a maximum and returns s, for chaining.
func (s *shape) atMost(v float64) *shape { s.max = &v; return s }

// named makes s a schema definition.
func (s *shape) named(ref string) *shape { s.ref = ref; return s }

// described sets the documentation and returns s, for chaining. A named
// shape keeps its own documentation in the schema's definitions; doc then
// describes this use of it.
func (s *shape) described(doc string) *shape {
	if s.ref != "" {
		s.useDoc = doc
		return s
	}
	s.doc = doc
	return s
}

// nonEmpty requires at least one item in an array.
func (s *shape) nonEmpty() *shape { s.minItems = 1; return s }

// typeName is how problems name a kind.
func (k kind) typeName() string {
	switch k {
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindInteger:
		return "an integer"
	case kindBool:
		return "a boolean (true or false)"
	case kindObject, kindMap:
		return "a mapping"
	case kindArray:
		return "a list"
	default:
		return "a value"
	}
}

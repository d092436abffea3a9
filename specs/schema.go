package specs

import (
	"encoding/json"
	"slices"
)

// SchemaID is the $id of the JSON Schema Schema returns.
const SchemaID = "https://pacer.dev/schemas/v1/specs.json"

// Schema returns a JSON Schema (draft-07, which yaml-language-server
// supports) of one spec document: a Cluster or a ServiceGroup. It is built
// from the same description the decoder enforces. Put
// "# yaml-language-server: $schema=<path or URL>" at the top of a spec file
// to get completion and checks in editors.
func Schema() []byte {
	g := &schemaGen{defs: map[string]any{}}
	doc := map[string]any{
		"$schema":     "http://json-schema.org/draft-07/schema#",
		"$id":         SchemaID,
		"title":       "pacer specs (" + APIVersion + ")",
		"description": "One document of a pacer spec file: a Cluster or a ServiceGroup.",
		"oneOf":       []any{g.schema(clusterShape()), g.schema(serviceGroupShape())},
		"definitions": g.defs,
	}
	// Marshalling plain maps, slices, strings and numbers cannot fail.
	b, _ := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n')
}

type schemaGen struct {
	defs map[string]any
}

func (g *schemaGen) schema(s *shape) map[string]any {
	if s.ref == "" {
		return g.inline(s)
	}
	if _, done := g.defs[s.ref]; !done {
		g.defs[s.ref] = map[string]any{} // placeholder against recursion
		g.defs[s.ref] = g.inline(s)
	}
	out := map[string]any{"$ref": "#/definitions/" + s.ref}
	if s.useDoc != "" {
		out["description"] = s.useDoc
	}
	return out
}

func (g *schemaGen) inline(s *shape) map[string]any {
	out := map[string]any{}
	if s.doc != "" {
		out["description"] = s.doc
	}
	switch s.kind {
	case kindString:
		out["type"] = "string"
		if len(s.enum) > 0 {
			out["enum"] = s.enum
		}
		if s.pattern != "" {
			out["pattern"] = s.pattern
		}
	case kindNumber, kindInteger:
		out["type"] = map[kind]string{kindNumber: "number", kindInteger: "integer"}[s.kind]
		if s.min != nil {
			out["minimum"] = *s.min
		}
		if s.max != nil {
			out["maximum"] = *s.max
		}
	case kindBool:
		out["type"] = "boolean"
	case kindObject:
		props := map[string]any{}
		for name, fs := range s.fields {
			props[name] = g.schema(fs)
		}
		out["type"] = "object"
		out["properties"] = props
		out["additionalProperties"] = false
		if len(s.required) > 0 {
			out["required"] = slices.Sorted(slices.Values(s.required))
		}
	case kindMap:
		out["type"] = "object"
		out["additionalProperties"] = g.schema(s.elem)
	case kindArray:
		out["type"] = "array"
		out["items"] = g.schema(s.elem)
		if s.minItems > 0 {
			out["minItems"] = s.minItems
		}
	case kindUnion:
		alts := make([]any, len(s.alts))
		for i, a := range s.alts {
			alts[i] = g.schema(a)
		}
		out["anyOf"] = alts
	}
	return out
}

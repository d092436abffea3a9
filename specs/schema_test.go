package specs

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

func TestSchemaGolden(t *testing.T) {
	got := Schema()
	golden := filepath.Join("testdata", "schema.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./specs -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("schema (-want +got):\n%s", diff)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

// yamlDocuments decodes every document of a YAML file into JSON values.
func yamlDocuments(t *testing.T, data []byte) []any {
	t.Helper()
	var docs []any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		// Round-trip through JSON so the validator sees JSON types.
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		j, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, j)
	}
}

func TestSchemaValidatesExamples(t *testing.T) {
	s := compileSchema(t)
	n := 0
	err := filepath.WalkDir(examples, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, doc := range yamlDocuments(t, data) {
			n++
			if err := s.Validate(doc); err != nil {
				t.Errorf("%s document %d: %v", p, i, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 6 {
		t.Errorf("validated %d documents, want at least 6", n)
	}
}

func TestSchemaRejectsWhatTheDecoderRejects(t *testing.T) {
	s := compileSchema(t)
	for name, doc := range map[string]string{
		"unknown field":      "apiVersion: pacer.dev/v1\nkind: Cluster\nmetadata: {name: ams}\nspec: {marathon: {urls: [http://m]}, color: red}\n",
		"inline routing key": "apiVersion: pacer.dev/v1\nkind: ServiceGroup\nmetadata: {name: a}\nspec:\n  environments: {p: {clusters: [ams], alerting: {urgency: high, routingKey: abc}}}\n  apps: {}\n",
		"label not a string": "apiVersion: pacer.dev/v1\nkind: ServiceGroup\nmetadata: {name: a}\nspec:\n  environments: {p: {clusters: [ams]}}\n  apps: {x: {cmd: run, labels: {A: 1}}}\n",
		"no urls":            "apiVersion: pacer.dev/v1\nkind: Cluster\nmetadata: {name: ams}\nspec: {marathon: {urls: []}}\n",
	} {
		for _, v := range yamlDocuments(t, []byte(doc)) {
			if err := s.Validate(v); err == nil {
				t.Errorf("%s: schema accepted it", name)
			}
		}
	}
}

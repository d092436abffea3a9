package conformance

import (
	"strings"
	"testing"
)

func TestShapeDiff(t *testing.T) {
	tests := []struct {
		name string
		want string
		got  string
		opts shapeOptions
		diff []string
	}{
		{"equal shapes, different values",
			`{"id":"/a","n":1,"ok":true,"x":null,"l":["a"],"o":{"k":1.5}}`,
			`{"id":"/b","n":2.5,"ok":false,"x":null,"l":["b","c"],"o":{"k":0}}`, shapeOptions{}, nil},
		{"missing, extra, type",
			`{"a":1,"b":"s","c":{"d":[1]}}`,
			`{"b":2,"c":{"d":["x"],"e":null}}`, shapeOptions{},
			[]string{"$.a: missing (number)", "$.b: type number, want string", "$.c.d[]: type string, want number", "$.c.e: extra (null)"}},
		{"null is its own type",
			`{"args":null}`, `{"args":[]}`, shapeOptions{}, []string{"$.args: type array, want null"}},
		{"array elements use the first expected element",
			`{"apps":[{"id":"x","n":1},{"other":true}]}`,
			`{"apps":[{"id":"y","n":2},{"id":"z"}]}`, shapeOptions{},
			[]string{"$.apps[].n: missing (number)"}},
		{"empty arrays say nothing about elements",
			`{"a":[],"b":[{"x":1}]}`, `{"a":[{"y":1}],"b":[]}`, shapeOptions{}, nil},
		{"top-level arrays",
			`[{"id":"a"}]`, `[{"id":"b","v":1}]`, shapeOptions{}, []string{"$[].v: extra (number)"}},
		{"allow extra",
			`{"a":1}`, `{"a":2,"b":3}`, shapeOptions{AllowExtra: true}, nil},
		{"free-form maps",
			`{"env":{"A":"1"},"labels":{}}`, `{"env":{"B":"2"},"labels":{"x":"y"}}`,
			shapeOptions{FreeForm: []string{"$.env", "$.labels"}}, nil},
		{"ignore a subtree",
			`{"a":{"b":1},"c":1}`, `{"a":"whatever","c":1,"d":2}`,
			shapeOptions{Ignore: []string{"$.a", "$.d"}}, nil},
		{"duplicate reports are merged",
			`{"l":[{"a":1}]}`, `{"l":[{},{},{}]}`, shapeOptions{}, []string{"$.l[].a: missing (number)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := shapeDiff(decode(t, "want", []byte(tc.want)), decode(t, "got", []byte(tc.got)), tc.opts)
			if strings.Join(got, "\n") != strings.Join(tc.diff, "\n") {
				t.Errorf("shapeDiff\n got %q\nwant %q", got, tc.diff)
			}
		})
	}
}

func TestApplyPatches(t *testing.T) {
	doc := decode(t, "doc", []byte(`{"apps":[{"id":"a","old":1},{"id":"b","old":2}],"x":{"type":"t"}}`))
	got := applyPatches(t, doc, []patch{
		set("$.apps[].gpus", 0, "new field"),
		del("$.apps[].id", "gone"),
		rename("$.x.type", "action", "renamed"),
		set("$.top", []any{}, "root field"),
	})
	want := decode(t, "want", []byte(`{"apps":[{"old":1,"gpus":0},{"old":2,"gpus":0}],"x":{"action":"t"},"top":[]}`))
	if d := shapeDiff(want, got, shapeOptions{}); len(d) != 0 {
		t.Errorf("patched shape differs: %q", d)
	}
	if get(doc, "$.x.type") != "t" {
		t.Error("applyPatches modified its input")
	}
	if get(got, "$.x.action") != "t" {
		t.Errorf("get = %v", get(got, "$.x.action"))
	}
}

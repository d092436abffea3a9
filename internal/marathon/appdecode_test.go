package marathon

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// jsonSamples are app definitions and lists, valid and not, on which the
// hand-written decoders must agree with encoding/json.
var jsonSamples = []string{
	`{}`,
	`{"a":1,"b":-0.5e+3,"c":"x","d":true,"e":false,"f":null,"g":[],"h":{},"i":[1,[2,{"j":"k"}]]}`,
	`{"esc":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00","utf8":"héllo","bad":"\xff"}`,
	`{"dup":1,"dup":2}`,
	` { "ws" : [ 1 , 2 ] } `,
	`{"n":0,"m":-0,"o":1E5,"p":12.50}`,
	`{"apps":[{"id":"/a","tasks":[{"id":"t","ports":[1,2]}]}]}`,
	`{"id":"/x","instances":2,"labels":{"k":"v","n":null},"tasksRunning":1,"deployments":[{"id":"d"},null],
	  "container":{"volumes":[{"persistent":null},{"persistent":{"size":1}}]},"residency":null,
	  "lastTaskFailure":null,"tasks":[null,{"id":"t","ports":[],"healthCheckResults":[{"alive":true},null]}]}`,
	`{"id":"/x","residency":{"a":1},"tasks":[]}`,
	`{"tasks":[{"id":"t"}],"id":"/first"}`, `{ "tasks" : [] }`, `{"id":"/last" , "tasks":null }`,
	`{"tasks":[],"id":"/twice","tasks":[{"id":"t"}]}`,
	// Invalid.
	``, `null`, `[]`, `"s"`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":[1,]}`, `{"a":01}`, `{"a":1.}`,
	`{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{"a":nul}`, `{"a":"x}`, "{\"a\":\"\x01\"}",
	`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":[}`, `{"a":{]}`, `{"a":1} x`, `{a:1}`, `{"a":1 "b":2}`,
	`{"id":5}`, `{"instances":1.5}`, `{"instances":"1"}`, `{"labels":{"a":1}}`, `{"tasks":{}}`,
	`{"tasks":[{"ports":["x"]}]}`, `{"tasks":[{"healthCheckResults":[{"alive":1}]}]}`,
}

// referenceObject is what DecodeObject replaces.
func referenceObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	if m == nil {
		return nil, io.ErrUnexpectedEOF
	}
	return m, nil
}

// referenceApp is what decodeApp replaced: encoding/json into a struct.
func referenceApp(raw []byte) (App, error) {
	var e struct {
		ID             string            `json:"id"`
		Instances      int               `json:"instances"`
		Labels         map[string]string `json:"labels"`
		Version        string            `json:"version"`
		TasksStaged    int               `json:"tasksStaged"`
		TasksRunning   int               `json:"tasksRunning"`
		TasksHealthy   int               `json:"tasksHealthy"`
		TasksUnhealthy int               `json:"tasksUnhealthy"`
		Deployments    []struct {
			ID string `json:"id"`
		} `json:"deployments"`
		Residency json.RawMessage `json:"residency"`
		Container *struct {
			Volumes []struct {
				Persistent json.RawMessage `json:"persistent"`
			} `json:"volumes"`
		} `json:"container"`
		LastTaskFailure *TaskFailure `json:"lastTaskFailure"`
		Tasks           []Task       `json:"tasks"`
	}
	if _, err := referenceObject(raw); err != nil {
		return App{}, err
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return App{}, err
	}
	a := App{
		ID: e.ID, Instances: e.Instances, Labels: e.Labels, Version: e.Version,
		TasksStaged: e.TasksStaged, TasksRunning: e.TasksRunning,
		TasksHealthy: e.TasksHealthy, TasksUnhealthy: e.TasksUnhealthy,
		LastTaskFailure: e.LastTaskFailure, Tasks: e.Tasks, Raw: raw,
	}
	for _, d := range e.Deployments {
		a.DeploymentIDs = append(a.DeploymentIDs, d.ID)
	}
	if len(e.Residency) > 0 && string(e.Residency) != "null" {
		a.PersistentVolumes = true
	}
	if e.Container != nil {
		for _, v := range e.Container.Volumes {
			if len(v.Persistent) > 0 && string(v.Persistent) != "null" {
				a.PersistentVolumes = true
			}
		}
	}
	return a, nil
}

// liveSamples are the live app lists of the reconciler's golden tests.
func liveSamples(t testing.TB) []string {
	files, _ := filepath.Glob("../../reconciler/testdata/*/live.json")
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ Apps []json.RawMessage }
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatal(err)
		}
		for _, a := range list.Apps {
			out = append(out, string(a))
		}
	}
	return out
}

func checkAgainstReference(t *testing.T, in string) {
	t.Helper()
	want, wantErr := referenceObject([]byte(in))
	got, err := DecodeObject([]byte(in), nil)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("DecodeObject(%q) err = %v, encoding/json: %v", in, err, wantErr)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("DecodeObject(%q) (-encoding/json +got):\n%s", in, d)
	}
	if foldedKey(want) {
		// encoding/json also matches struct fields case-insensitively
		// ("ID" for "id"); decodeApp matches Marathon's keys exactly.
		return
	}
	wantApp, wantErr := referenceApp([]byte(in))
	gotApp, tasks, err := decodeApp([]byte(in))
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeApp(%q) err = %v, encoding/json: %v", in, err, wantErr)
	}
	if err != nil {
		return
	}
	if d := cmp.Diff(wantApp, gotApp); d != "" {
		t.Errorf("decodeApp(%q) (-encoding/json +got):\n%s", in, d)
	}
	// Cutting the tasks leaves the same object without them.
	if tasks != (span{}) {
		cut := string(in[:tasks.start] + in[tasks.end:])
		got, err := referenceObject([]byte(cut))
		if err != nil {
			t.Fatalf("%q without its tasks, %q: %v", in, cut, err)
		}
		delete(want, "tasks")
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%q without its tasks, %q (-want +got):\n%s", in, cut, d)
		}
	}
}

// foldedKey reports whether v holds a key that differs from one decodeApp
// reads only by case.
func foldedKey(v any) bool {
	typed := []string{"id", "instances", "labels", "version", "tasksStaged", "tasksRunning",
		"tasksHealthy", "tasksUnhealthy", "deployments", "residency", "container", "volumes",
		"persistent", "lastTaskFailure", "tasks", "taskId", "state", "message", "host",
		"timestamp", "ports", "startedAt", "healthCheckResults", "alive"}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			for _, name := range typed {
				if k != name && strings.EqualFold(k, name) {
					return true
				}
			}
			if foldedKey(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if foldedKey(e) {
				return true
			}
		}
	}
	return false
}

func TestDecodersMatchEncodingJSON(t *testing.T) {
	for _, in := range append(jsonSamples, liveSamples(t)...) {
		checkAgainstReference(t, in)
	}
}

func TestDecodeObjectSkips(t *testing.T) {
	got, err := DecodeObject([]byte(`{"id":"/a","tasks":[{"id":"t"}],"cpus":1}`), func(k string) bool { return k == "tasks" })
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]any{"id": "/a", "cpus": json.Number("1")}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// A skipped value is still validated.
	if _, err := DecodeObject([]byte(`{"tasks":[1,]}`), func(string) bool { return true }); err == nil {
		t.Error("invalid skipped value accepted")
	}
}

func TestDigestObject(t *testing.T) {
	isTasks := func(k string) bool { return k == "tasks" }
	base := `{"id":"/a","cpus":1,"tasks":[{"id":"t1"}]}`
	for _, tc := range []struct {
		name  string
		other string
		equal bool
	}{
		{"same", base, true},
		{"skipped member differs", `{"id":"/a","cpus":1,"tasks":[]}`, true},
		{"skipped member missing", `{"id":"/a","cpus":1}`, true},
		{"value differs", `{"id":"/a","cpus":2,"tasks":[]}`, false},
		{"number spelled differently", `{"id":"/a","cpus":1.0}`, false},
		{"key moved into the value", `{"id":"/a","cpus":1,"x":""}`, false},
		{"order differs", `{"cpus":1,"id":"/a"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := DigestObject([]byte(base), isTasks)
			if err != nil {
				t.Fatal(err)
			}
			b, err := DigestObject([]byte(tc.other), isTasks)
			if err != nil {
				t.Fatal(err)
			}
			if (a == b) != tc.equal {
				t.Errorf("equal digests = %v, want %v", a == b, tc.equal)
			}
		})
	}
	for _, bad := range []string{`[]`, `{"a":1,}`, `{"tasks":[1,]}`, `{"a":1} x`} {
		if _, err := DigestObject([]byte(bad), isTasks); err == nil {
			t.Errorf("DigestObject(%q) succeeded", bad)
		}
	}
}

// TestListAppsStream decodes a list read a byte at a time, so that every
// value straddles buffer refills.
func TestListAppsStream(t *testing.T) {
	apps := liveSamples(t)
	body := `{"other":[1,"]}"],"apps":[` + strings.Join(apps, ",") + `],"n":-1.5}`
	for _, r := range []io.Reader{iotest.OneByteReader(strings.NewReader(body)), iotest.HalfReader(strings.NewReader(body)), strings.NewReader(body)} {
		checkStream(t, r, apps)
	}
	var l appList
	for _, bad := range []string{`{"apps":[{"id":"/a"}`, `{"apps":[{"id":"/a"}}`, `{"apps":[{"id":"/a"},]}`, `{"x":1,}`, `{"x":tru}`, `{"apps":{}}`, `{"apps":[{"id":"/a"} x]}`} {
		if err := l.decodeBody(strings.NewReader(bad)); err == nil {
			t.Errorf("decodeBody(%q) succeeded", bad)
		}
	}
}

func checkStream(t *testing.T, r io.Reader, apps []string) {
	t.Helper()
	var l appList
	if err := l.decodeBody(r); err != nil {
		t.Fatal(err)
	}
	if len(l.apps) != len(apps) {
		t.Fatalf("got %d apps, want %d", len(l.apps), len(apps))
	}
	for i, a := range l.apps {
		want, err := referenceApp([]byte(apps[i]))
		if err != nil {
			t.Fatal(err)
		}
		wantRaw, err := referenceObject(want.Raw)
		if err != nil {
			t.Fatal(err)
		}
		delete(wantRaw, "tasks")
		gotRaw, err := referenceObject(a.Raw)
		if err != nil {
			t.Fatalf("app %d: Raw %s: %v", i, a.Raw, err)
		}
		if d := cmp.Diff(wantRaw, gotRaw); d != "" {
			t.Errorf("app %d: Raw (-want +got):\n%s", i, d)
		}
		want.Raw, a.Raw = nil, nil
		if d := cmp.Diff(want, a); d != "" {
			t.Errorf("app %d (-want +got):\n%s", i, d)
		}
	}
}

func FuzzDecoders(f *testing.F) {
	for _, s := range append(jsonSamples, liveSamples(f)...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkAgainstReference(t, in)
	})
}

package marathonsim

import "testing"

func TestDependencyCycleIs422(t *testing.T) {
	tests := []struct {
		name, method, path, body string
	}{
		{"apps in one group", "PUT", "/v2/groups/c", `{"apps":[
			{"id":"a","cmd":"x","dependencies":["/c/b"]},
			{"id":"b","cmd":"x","dependencies":["/c/a"]}]}`},
		{"three apps through relative ids", "POST", "/v2/groups", `{"id":"/c","apps":[
			{"id":"a","cmd":"x","dependencies":["b"]},
			{"id":"b","cmd":"x","dependencies":["d"]},
			{"id":"d","cmd":"x","dependencies":["a"]}]}`},
		{"groups depending on each other", "PUT", "/v2/groups", `{"groups":[
			{"id":"/p","dependencies":["/q"],"apps":[{"id":"/p/a","cmd":"x"}]},
			{"id":"/q","dependencies":["/p"],"apps":[{"id":"/q/b","cmd":"x"}]}]}`},
		{"bulk app update", "PUT", "/v2/apps", `[
			{"id":"/m","cmd":"x","dependencies":["/n"]},
			{"id":"/n","cmd":"x","dependencies":["/m"]}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := newSim(t, Options{})
			r := x.must(422, tc.method, tc.path, tc.body)
			got := r.json(t)
			details, _ := got["details"].([]any)
			if got["message"] != "Object is not valid" || len(details) != 1 || jsonString(details[0]) != `{"errors":["Dependency graph has cyclic dependencies."],"path":"/"}` {
				t.Errorf("body = %s", r.body)
			}
			if len(x.s.root.apps) != 0 || len(x.deployments()) != 0 {
				t.Errorf("rejected change was stored: %d apps, %d deployments", len(x.s.root.apps), len(x.deployments()))
			}
		})
	}
	t.Run("cycle closed by a later change", func(t *testing.T) {
		x := newSim(t, Options{})
		x.must(201, "POST", "/v2/apps", `{"id":"/a","cmd":"x","dependencies":["/b"]}`)
		x.must(201, "POST", "/v2/apps", `{"id":"/b","cmd":"x"}`)
		x.must(422, "PUT", "/v2/apps/b?force=true", `{"dependencies":["/a"]}`)
	})
	t.Run("diamond is no cycle", func(t *testing.T) {
		x := newSim(t, Options{})
		x.must(200, "PUT", "/v2/groups/d", `{"apps":[
			{"id":"top","cmd":"x","dependencies":["l","r"]},
			{"id":"l","cmd":"x","dependencies":["base"]},
			{"id":"r","cmd":"x","dependencies":["base"]},
			{"id":"base","cmd":"x"}]}`)
	})
}

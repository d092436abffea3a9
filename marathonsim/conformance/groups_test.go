package conformance

import (
	"net/http"
	"testing"

	"pacer.dev/pacer/marathonsim"
)

// TestDependenciesCanonicalised: where relative dependencies resolve in
// Marathon 1.4.13 (paths under src/main/scala/mesosphere/marathon/):
//   - in a group body, against the group (api/v2/json/GroupUpdate.scala:46-49);
//   - in POST /v2/apps, against the app's own id
//     (state/AppDefinition.scala:357-360 withCanonizedIds), so a sibling is
//     "../db";
//   - in a PUT AppUpdate (partialUpdate, the default), against the root
//     (api/v2/json/AppUpdate.scala:160-163; AppsResource.scala:157).
func TestDependenciesCanonicalised(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/groups", `{"id":"/prod","apps":[
		{"id":"db","cmd":"x","instances":0},
		{"id":"web","cmd":"x","instances":0,"dependencies":["db"]}]}`)
	s.settle()
	deps := func(id string) string {
		return compact(t, get(s.must(http.StatusOK, http.MethodGet, "/v2/apps"+id, nil).json(t), "$.app.dependencies"))
	}
	if g := deps("/prod/web"); g != `["/prod/db"]` {
		t.Errorf("group app dependencies = %s, want [\"/prod/db\"]", g)
	}
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", `{"id":"/prod/api","cmd":"x","instances":0,"dependencies":["../db"]}`)
	s.settle()
	if g := deps("/prod/api"); g != `["/prod/db"]` {
		t.Errorf("POST /v2/apps dependencies = %s, want [\"/prod/db\"]", g)
	}
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", `{"id":"/prod/own","cmd":"x","instances":0,"dependencies":["db"]}`)
	if g := deps("/prod/own"); g != `["/prod/own/db"]` {
		t.Errorf("POST /v2/apps relative dependency = %s, want it under the app's id [\"/prod/own/db\"]", g)
	}
	s.settle()
	s.must(http.StatusOK, http.MethodPut, "/v2/apps/prod/api", `{"dependencies":["db"]}`)
	if g := deps("/prod/api"); g != `["/db"]` {
		t.Errorf("PUT /v2/apps dependencies = %s, want [\"/db\"] (against the root)", g)
	}
}

// TestGroupUpdateRules: scaleBy and version must be a GroupUpdate's only
// field (api/v2/json/GroupUpdate.scala:86-87; api/v2/Validation.scala:
// 200-216 at v1.4.13), and a PUT whose apps list leaves an app out removes
// it (GroupUpdate.apply, api/v2/json/GroupUpdate.scala:18-44: the group's
// apps are the body's).
func TestGroupUpdateRules(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/groups", `{"id":"/g","apps":[{"id":"a","cmd":"x","instances":0},{"id":"b","cmd":"x","instances":0}]}`)
	s.settle()
	checkBody(t, "PUT scaleBy with apps", s.do(http.MethodPut, "/v2/groups/g", `{"scaleBy":2,"apps":[]}`), http.StatusUnprocessableEntity,
		`{"message":"Object is not valid","details":[{"path":"/scaleBy","errors":["not allowed in conjunction with other properties."]}]}`)
	checkBody(t, "PUT version with id", s.do(http.MethodPut, "/v2/groups/g", `{"id":"/g","version":"2017-01-01T00:00:00.000Z"}`), http.StatusUnprocessableEntity,
		`{"message":"Object is not valid","details":[{"path":"/version","errors":["not allowed in conjunction with other properties."]}]}`)
	s.must(http.StatusOK, http.MethodPut, "/v2/groups/g", `{"apps":[{"id":"a","cmd":"x","instances":0}]}`)
	s.settle()
	s.must(http.StatusOK, http.MethodGet, "/v2/apps/g/a", nil)
	checkBody(t, "GET the dropped app", s.do(http.MethodGet, "/v2/apps/g/b", nil), http.StatusNotFound, `{"message":"App '/g/b' does not exist"}`)
}

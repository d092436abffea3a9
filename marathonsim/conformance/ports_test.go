package conformance

import (
	"encoding/json"
	"net/http"
	"testing"

	"pacer.dev/pacer/marathonsim"
)

// TestBridgePorts: the ports Marathon 1.4.13 stores and writes for Docker
// apps (issue 21, issue 12's write loop). Sources, under
// src/main/scala/mesosphere/marathon/ at v1.4.13:
//   - api/v2/json/Formats.scala:1075-1084 AppDefinitionReads: portDefinitions
//     are the given ones, else one per `ports` entry, else
//     DefaultPortDefinitions (state/AppDefinition.scala:455), portMappings or
//     not;
//   - state/AppDefinition.scala:280-284: service ports come from the
//     container's portMappings when it has some;
//   - core/group/impl/GroupManagerActor.scala:238-305
//     assignDynamicServicePorts: 0 → a free port from 10000, written into the
//     mappings, and portDefinitions zipped with the service ports, padded
//     with RandomPortDefinition {0, tcp} (AppDefinition.scala:420);
//   - Formats.scala:1223-1240 AppDefWrites: ports = service ports,
//     portDefinitions zipped again;
//   - state/Container.scala:47-70 withDefaultPortMappings: mappings survive
//     only with network BRIDGE (hostPort defaults to 0) or USER; and
//     Formats.scala:411-425 DockerContainerWrites writes "network": null.
func TestBridgePorts(t *testing.T) {
	const mappings = `[{"containerPort":8080,"protocol":"tcp"},{"containerPort":8125,"protocol":"udp"}]`
	docker := func(network string, extra string) string {
		return `{"id":"/web","instances":0` + extra + `,"container":{"type":"DOCKER","docker":{"image":"nginx"` + network + `,"portMappings":` + mappings + `}}}`
	}
	for _, tc := range []struct {
		name         string
		body         string
		wantPorts    string
		wantPDs      string
		wantMappings string
		wantNetwork  any
	}{
		{"BRIDGE with no portDefinitions: default definition zipped with the mappings, all tcp",
			docker(`,"network":"BRIDGE"`, ""), `[10000,10001]`,
			`[{"labels":{},"name":"default","port":10000,"protocol":"tcp"},{"labels":{},"port":10001,"protocol":"tcp"}]`,
			`[{"containerPort":8080,"hostPort":0,"labels":{},"protocol":"tcp","servicePort":10000},{"containerPort":8125,"hostPort":0,"labels":{},"protocol":"udp","servicePort":10001}]`,
			"BRIDGE"},
		{"BRIDGE with portDefinitions: given definitions keep name and protocol, take the mappings' service ports",
			docker(`,"network":"BRIDGE"`, `,"portDefinitions":[{"port":0,"protocol":"udp","name":"metrics"}]`), `[10000,10001]`,
			`[{"labels":{},"name":"metrics","port":10000,"protocol":"udp"},{"labels":{},"port":10001,"protocol":"tcp"}]`,
			`[{"containerPort":8080,"hostPort":0,"labels":{},"protocol":"tcp","servicePort":10000},{"containerPort":8125,"hostPort":0,"labels":{},"protocol":"udp","servicePort":10001}]`,
			"BRIDGE"},
		{"BRIDGE with legacy ports [0]: one unnamed definition, padded",
			docker(`,"network":"BRIDGE"`, `,"ports":[0]`), `[10000,10001]`,
			`[{"labels":{},"port":10000,"protocol":"tcp"},{"labels":{},"port":10001,"protocol":"tcp"}]`,
			`[{"containerPort":8080,"hostPort":0,"labels":{},"protocol":"tcp","servicePort":10000},{"containerPort":8125,"hostPort":0,"labels":{},"protocol":"udp","servicePort":10001}]`,
			"BRIDGE"},
		{"USER network: mappings kept without a hostPort default",
			docker(`,"network":"USER"`, ""), `[10000,10001]`,
			`[{"labels":{},"name":"default","port":10000,"protocol":"tcp"},{"labels":{},"port":10001,"protocol":"tcp"}]`,
			`[{"containerPort":8080,"labels":{},"protocol":"tcp","servicePort":10000},{"containerPort":8125,"labels":{},"protocol":"udp","servicePort":10001}]`,
			"USER"},
		{"no network: portMappings dropped, network null, the default port definition",
			docker("", ""), `[10000]`,
			`[{"labels":{},"name":"default","port":10000,"protocol":"tcp"}]`,
			`[]`, nil},
		{"HOST network: portMappings dropped",
			docker(`,"network":"HOST"`, ""), `[10000]`,
			`[{"labels":{},"name":"default","port":10000,"protocol":"tcp"}]`,
			`[]`, "HOST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, marathonsim.Options{})
			s.must(http.StatusCreated, http.MethodPost, "/v2/apps", tc.body)
			app := get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/web", nil).json(t), "$.app")
			for _, c := range []struct {
				what string
				got  any
				want string
			}{
				{"ports", get(app, "$.ports"), tc.wantPorts},
				{"portDefinitions", get(app, "$.portDefinitions"), tc.wantPDs},
				{"container.docker.portMappings", get(app, "$.container.docker.portMappings"), tc.wantMappings},
			} {
				if g := compact(t, c.got); g != compact(t, decode(t, c.what, []byte(c.want))) {
					t.Errorf("%s = %s, want %s", c.what, g, c.want)
				}
			}
			d, _ := get(app, "$.container.docker").(map[string]any)
			if n, ok := d["network"]; !ok || n != tc.wantNetwork {
				t.Errorf("container.docker.network = %v (present %v), want %v", n, ok, tc.wantNetwork)
			}
			// What Marathon wrote reads back to the same app: re-sending it is
			// no change (no restart, no new ports): the write loop of issue 12.
			before := get(app, "$.versionInfo.lastConfigChangeAt")
			s.must(http.StatusOK, http.MethodPut, "/v2/apps/web", tc.body)
			again := get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/web", nil).json(t), "$.app")
			if get(again, "$.versionInfo.lastConfigChangeAt") != before || compact(t, get(again, "$.ports")) != compact(t, get(app, "$.ports")) {
				t.Errorf("re-PUT of the same body changed the app: %v → %v, ports %v → %v", before,
					get(again, "$.versionInfo.lastConfigChangeAt"), get(app, "$.ports"), get(again, "$.ports"))
			}
		})
	}
}

// TestCreateCarriesRequestPorts: POST /v2/apps answers, and posts as
// api_post_event, the request's app before port assignment
// (api/v2/AppsResource.scala:82-103 at v1.4.13: `app` is normalizedApp of
// the body; assignDynamicServicePorts runs later inside groupManager), so
// its service ports are 0; GET then shows the assigned ones.
func TestCreateCarriesRequestPorts(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	es := s.subscribe("?event_type=api_post_event")
	body := `{"id":"/web","instances":0,"container":{"type":"DOCKER","docker":{"image":"nginx","network":"BRIDGE","portMappings":[{"containerPort":80}]}}}`
	resp := s.must(http.StatusCreated, http.MethodPost, "/v2/apps", body).json(t)
	ev := es.collect(t, func(typ string, _ map[string]any) bool { return typ == "api_post_event" })["api_post_event"]
	for what, app := range map[string]any{"POST response": resp, "api_post_event appDefinition": get(ev, "$.appDefinition")} {
		if g := compact(t, get(app, "$.ports")); g != `[0]` {
			t.Errorf("%s ports = %s, want [0]", what, g)
		}
		pms, _ := get(app, "$.container.docker.portMappings").([]any)
		if g := compact(t, pms); len(pms) != 1 || compact(t, get(pms[0], "$.servicePort")) != `0` {
			t.Errorf("%s servicePort = %s, want 0", what, g)
		}
	}
	stored := get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/web", nil).json(t), "$.app")
	if g := compact(t, get(stored, "$.ports")); g != `[10000]` {
		t.Errorf("stored ports = %s, want [10000]", g)
	}
}

func compact(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

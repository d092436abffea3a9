package conformance

import (
	"net/http"
	"strings"
	"testing"

	"pacer.dev/pacer/marathonsim"
)

// TestAppValidation replays app bodies Marathon 1.4.13 refuses and compares
// the whole error body. Test names are the rules, so `pacer validate`'s list
// can be checked against them. Paths below are relative to
// src/main/scala/mesosphere/marathon/ at tag v1.4.13.
//
// 400 "Invalid JSON": the Play JSON readers of api/v2/json/Formats.scala
// refuse the body (JsResultException, api/MarathonExceptionMapper.scala:55,
// 81-88); 422 "Object is not valid": AppDefinition.validAppDefinition
// (state/AppDefinition.scala:509-705) refuses the app, written by
// api/v2/Validation.scala:72-86.
func TestAppValidation(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	const opErr = `Constraint operator must be one of the following: [UNIQUE, LIKE, CLUSTER, GROUP_BY, UNLIKE, MAX_PER]`
	const shapeErr = `Constraint definition must be an array of strings in format: <key>, <operator>[, value]`
	invalidJSON := func(details string) string { return `{"message":"Invalid JSON","details":[` + details + `]}` }
	notValid := func(details string) string { return `{"message":"Object is not valid","details":[` + details + `]}` }
	for _, tc := range []struct {
		name   string
		body   string
		status int
		want   string
	}{
		// Formats.scala:922-939 ConstraintFormat; proto/marathon.proto:13-26 operator order.
		{"constraint operator unknown (UNIQE)", `{"id":"/c1","cmd":"x","constraints":[["hostname","UNIQE"]]}`, 400,
			invalidJSON(`{"path":"/constraints(0)","errors":["` + opErr + `"]}`)},
		{"constraint operator lower case", `{"id":"/c2","cmd":"x","constraints":[["hostname","unique"]]}`, 400,
			invalidJSON(`{"path":"/constraints(0)","errors":["` + opErr + `"]}`)},
		{"constraint with one element", `{"id":"/c3","cmd":"x","constraints":[["hostname"]]}`, 400,
			invalidJSON(`{"path":"/constraints(0)","errors":["` + shapeErr + `"]}`)},
		{"constraint with four elements", `{"id":"/c4","cmd":"x","constraints":[["a","LIKE","b","c"]]}`, 400,
			invalidJSON(`{"path":"/constraints(0)","errors":["` + shapeErr + `"]}`)},
		{"constraint not an array of strings", `{"id":"/c5","cmd":"x","constraints":[["hostname","MAX_PER",2]]}`, 400,
			invalidJSON(`{"path":"/constraints(0)","errors":["` + shapeErr + `"]}`)},
		{"constraint nested too deep ([[hostname]])", `{"id":"/c6","cmd":"x","constraints":[[["hostname"]]]}`, 400,
			invalidJSON(`{"path":"/constraints(0)","errors":["` + shapeErr + `"]}`)},
		// state/AppDefinition.scala:603-656 complyWithConstraintRules, applied by
		// `appDef.constraints.each must ...` (line 701): the path is the field's.
		{"constraint LIKE without value", `{"id":"/c7","cmd":"x","constraints":[["hostname","LIKE"]]}`, 422,
			notValid(`{"path":"/constraints","errors":["A regular expression value must be provided"]}`)},
		{"constraint UNLIKE without value", `{"id":"/c8","cmd":"x","constraints":[["hostname","UNLIKE"]]}`, 422,
			notValid(`{"path":"/constraints","errors":["A regular expression value must be provided"]}`)},
		{"constraint LIKE with invalid regex", `{"id":"/c9","cmd":"x","constraints":[["hostname","LIKE","("]]}`, 422,
			notValid(`{"path":"/constraints","errors":["'(' is not a valid regular expression"]}`)},
		{"constraint UNIQUE with value", `{"id":"/c10","cmd":"x","constraints":[["hostname","UNIQUE","a"]]}`, 422,
			notValid(`{"path":"/constraints","errors":["Value specified but not used"]}`)},
		{"constraint GROUP_BY with non-integer value", `{"id":"/c11","cmd":"x","constraints":[["rack","GROUP_BY","two"]]}`, 422,
			notValid(`{"path":"/constraints","errors":["Value was specified but is not a number"]}`)},
		{"constraint MAX_PER without value", `{"id":"/c12","cmd":"x","constraints":[["rack","MAX_PER"]]}`, 422,
			notValid(`{"path":"/constraints","errors":["Value was not specified or is not a number"]}`)},
		// state/AppDefinition.scala:548-559 containsCmdArgsOrContainer.
		{"cmd and args together", `{"id":"/a1","cmd":"x","args":["y"]}`, 422,
			notValid(`{"path":"/","errors":["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."]}`)},
		{"neither cmd nor args nor container", `{"id":"/a2"}`, 422,
			notValid(`{"path":"/","errors":["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."]}`)},
		{"bare MESOS container without cmd", `{"id":"/a3","container":{"type":"MESOS"}}`, 422,
			notValid(`{"path":"/","errors":["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."]}`)},
		// Formats.scala:974 (__ \ "cmd").readNullable[String](Reads.minLength(1)).
		{"cmd empty", `{"id":"/a4","cmd":""}`, 400, invalidJSON(`{"path":"/cmd","errors":["error.minLength"]}`)},
		// Formats.scala:1043 labels: Reads[Map[String, String]], Play's map reader keys the path.
		{"label value not a string", `{"id":"/l1","cmd":"x","labels":{"A":"ok","HAPROXY_0_PORT":8080}}`, 400,
			invalidJSON(`{"path":"/labels/HAPROXY_0_PORT","errors":["error.expected.jsstring"]}`)},
		{"label value boolean", `{"id":"/l2","cmd":"x","labels":{"B":true}}`, 400,
			invalidJSON(`{"path":"/labels/B","errors":["error.expected.jsstring"]}`)},
		// Formats.scala:951-966 EnvVarValueFormat: a non-string value is read
		// with json.as[EnvVarSecretRef], whose own JsResultException escapes
		// with a path relative to the value.
		{"env value a number", `{"id":"/v1","cmd":"x","env":{"PORT":8080}}`, 400,
			invalidJSON(`{"path":"/secret","errors":["error.path.missing"]}`)},
		// state/PathId.scala:113-115 ID_PATH_SEGMENT_PATTERN, per segment.
		{"id segment upper case", `{"id":"/Prod/app","cmd":"x"}`, 422,
			notValid(`{"path":"/id","errors":["must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'"]}`)},
		{"id segment with underscore", `{"id":"/prod/my_app","cmd":"x"}`, 422,
			notValid(`{"path":"/id","errors":["must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'"]}`)},
		{"id segment ending in dash", `{"id":"/prod/app-","cmd":"x"}`, 422,
			notValid(`{"path":"/id","errors":["must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'"]}`)},
		// Formats.scala:1054-1064, filters on the object: JsPath root is written "".
		{"uris and fetch together", `{"id":"/f1","cmd":"x","uris":["http://a/b"],"fetch":[{"uri":"http://a/c"}]}`, 400,
			invalidJSON(`{"path":"","errors":["You cannot specify both uris and fetch fields"]}`)},
		{"ports and portDefinitions that differ", `{"id":"/p1","cmd":"x","ports":[0],"portDefinitions":[{"port":0},{"port":0}]}`, 400,
			invalidJSON(`{"path":"","errors":["You cannot specify both ports and port definitions"]}`)},
		{"ipAddress and ports", `{"id":"/p2","cmd":"x","ports":[0],"ipAddress":{}}`, 400,
			invalidJSON(`{"path":"","errors":["You cannot specify both an IP address and ports"]}`)},
		// Formats.scala:194-197 uniquePorts.
		{"ports not unique", `{"id":"/p3","cmd":"x","ports":[8080,8080]}`, 400,
			invalidJSON(`{"path":"/ports","errors":["Ports must be unique."]}`)},
		// Formats.scala:199-200 nonEmpty, line 1044.
		{"acceptedResourceRoles empty", `{"id":"/r1","cmd":"x","acceptedResourceRoles":[]}`, 400,
			invalidJSON(`{"path":"/acceptedResourceRoles","errors":["set must not be empty"]}`)},
		// Formats.scala:971,983 executor pattern.
		{"executor not a path", `{"id":"/e1","cmd":"x","executor":"a//b"}`, 400,
			invalidJSON(`{"path":"/executor","errors":["error.pattern"]}`)},
		// state/PortDefinition.scala:28-35 portDefinitionsValidator.
		{"portDefinitions ports not unique", `{"id":"/p4","cmd":"x","portDefinitions":[{"port":8080},{"port":8080}]}`, 422,
			notValid(`{"path":"/portDefinitions","errors":["Ports must be unique."]}`)},
		// state/AppDefinition.scala:707-716 portIndexIsValid.
		{"health check portIndex out of range", `{"id":"/h1","cmd":"x","healthChecks":[{"protocol":"HTTP","portIndex":1}]}`, 422,
			notValid(`{"path":"/healthChecks(0)","errors":["Health check port indices must address an element of the ports array or container port mappings."]}`)},
		{"health check without port on an app without ports", `{"id":"/h2","cmd":"x","portDefinitions":[],"healthChecks":[{"protocol":"TCP"}]}`, 422,
			notValid(`{"path":"/healthChecks(0)","errors":["Health check port indices must address an element of the ports array or container port mappings."]}`)},
		// state/AppDefinition.scala:658-665.
		{"two Mesos health checks", `{"id":"/h3","cmd":"x","healthChecks":[{"protocol":"MESOS_TCP"},{"protocol":"MESOS_HTTP"}]}`, 422,
			notValid(`{"path":"/","errors":["AppDefinition can contain at most one Mesos health check"]}`)},
		// state/AppDefinition.scala:578-581.
		{"single instance label with two instances", `{"id":"/s1","cmd":"x","instances":2,"labels":{"MARATHON_SINGLE_INSTANCE_APP":"true"}}`, 422,
			notValid(`{"path":"/","errors":["Single instance app may only have one instance"]}`)},
		// state/AppDefinition.scala:561-576.
		{"migration API version without framework name and path", `{"id":"/m1","cmd":"x","labels":{"DCOS_MIGRATION_API_VERSION":"v1"}}`, 422,
			notValid(`{"path":"/","errors":["DCOS_PACKAGE_FRAMEWORK_NAME and DCOS_MIGRATION_API_PATH must be defined when using DCOS_MIGRATION_API_VERSION"]}`)},
		// state/AppDefinition.scala:593-601; api/v2/Validation.scala:67-71 (no --enable_features).
		{"gpus without the gpu_resources feature", `{"id":"/g1","cmd":"x","gpus":1}`, 422,
			notValid(`{"path":"/","errors":["Feature gpu_resources is not enabled. Enable with --enable_features gpu_resources)"]}`)},
		// state/Container.scala:72-75 docker.image is notEmpty; the validator
		// sees the Docker case class, so no "docker" segment
		// (api/v2/json/AppDefinitionTest.scala:121-215 paths).
		{"docker image empty", `{"id":"/d1","container":{"type":"DOCKER","docker":{"image":""}}}`, 422,
			notValid(`{"path":"/container/image","errors":["must not be empty"]}`)},
		// state/Container.scala:106-125; state/PortAssignment.scala:22.
		{"port mapping names not unique", `{"id":"/d2","container":{"type":"DOCKER","docker":{"image":"x","network":"BRIDGE","portMappings":[{"containerPort":80,"name":"http"},{"containerPort":81,"name":"http"}]}}}`, 422,
			notValid(`{"path":"/container/portMappings","errors":["Port names must be unique."]}`)},
		{"port mapping name not a DNS label", `{"id":"/d3","container":{"type":"DOCKER","docker":{"image":"x","network":"BRIDGE","portMappings":[{"containerPort":80,"name":"Web_UI"}]}}}`, 422,
			notValid(`{"path":"/container/portMappings(0)/name","errors":["must fully match regular expression '^[a-z0-9-]+$'"]}`)},
		// state/PortDefinition.scala:16-20.
		{"port definition name not a DNS label", `{"id":"/p5","cmd":"x","portDefinitions":[{"port":0,"name":"my_port"}]}`, 422,
			notValid(`{"path":"/portDefinitions(0)/name","errors":["must fully match regular expression '^[a-z0-9-]+$'"]}`)},
		// state/AppDefinition.scala:683 fetch is every(fetchUriIsValid); api/v2/Validation.scala.
		{"fetch uri invalid", `{"id":"/f2","cmd":"x","fetch":[{"uri":"http://example.com/ok"},{"uri":"http://example.com/a b"}]}`, 422,
			notValid(`{"path":"/fetch(1)","errors":["URI has invalid syntax."]}`)},
		// state/AppDefinition.scala:680-690 (resources should be >= 0).
		{"negative instances", `{"id":"/n1","cmd":"x","instances":-1}`, 422,
			notValid(`{"path":"/instances","errors":["got -1, expected 0 or more"]}`)},
		// state/UpgradeStrategy.scala:25-28 `is between(0.0, 1.0)`; the text is
		// pinned by api/v2/json/AppDefinitionTest.scala:294-324 (the RAML
		// example's "is greater than 1" is older than this code).
		{"upgradeStrategy capacity above 1", `{"id":"/u1","cmd":"x","upgradeStrategy":{"minimumHealthCapacity":1.5}}`, 422,
			notValid(`{"path":"/upgradeStrategy/minimumHealthCapacity","errors":["got 1.5, expected between 0.0 and 1.0"]}`)},
		{"upgradeStrategy capacity below 0", `{"id":"/u2","cmd":"x","upgradeStrategy":{"maximumOverCapacity":-0.5}}`, 422,
			notValid(`{"path":"/upgradeStrategy/maximumOverCapacity","errors":["got -0.5, expected between 0.0 and 1.0"]}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(http.MethodPost, "/v2/apps", tc.body)
			checkBody(t, "POST /v2/apps", r, tc.status, tc.want)
		})
	}
}

// TestAppValidationAccepts: bodies Marathon 1.4.13 accepts that a stricter
// client might refuse. PathId.scala:113-160 has no length rule for app ids
// (only pods' container names are bounded, PodsValidation.scala:32-41), so a
// long id is accepted; `ports` equal to the portDefinitions' ports passes the
// Formats.scala:1061-1064 filter.
func TestAppValidationAccepts(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	long := "/" + strings.Repeat("a", 63) + "/" + strings.Repeat("b", 200)
	for _, tc := range []struct{ name, body string }{
		{"id of 265 characters", `{"id":"` + long + `","cmd":"x","instances":0}`},
		{"ports equal to portDefinitions", `{"id":"/ok1","cmd":"x","instances":0,"ports":[0],"portDefinitions":[{"port":0}]}`},
		{"constraint with value", `{"id":"/ok2","cmd":"x","instances":0,"constraints":[["hostname","LIKE","a.*"],["rack","GROUP_BY","3"],["rack","GROUP_BY"]]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.must(http.StatusCreated, http.MethodPost, "/v2/apps", tc.body)
		})
	}
}

// TestGroupAppValidation: apps inside a group body go through the same
// readers, their paths prefixed with the app's place in the body
// (GroupsResource reads Seq[AppDefinition] under "apps").
func TestGroupAppValidation(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	r := s.do(http.MethodPost, "/v2/groups", `{"id":"/g","apps":[{"id":"ok","cmd":"x"},{"id":"bad","cmd":"x","constraints":[["hostname","UNIQE"]]}]}`)
	checkBody(t, "POST /v2/groups", r, http.StatusBadRequest,
		`{"message":"Invalid JSON","details":[{"path":"/apps(1)/constraints(0)","errors":["Constraint operator must be one of the following: [UNIQUE, LIKE, CLUSTER, GROUP_BY, UNLIKE, MAX_PER]"]}]}`)
}

// TestAppUpdateValidation: PUT bodies (AppUpdateReads, Formats.scala:1349-1440)
// refuse the same constraint and label values.
func TestAppUpdateValidation(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", `{"id":"/up","cmd":"x","instances":0}`)
	checkBody(t, "PUT constraints", s.do(http.MethodPut, "/v2/apps/up", `{"constraints":[["hostname"]]}`), http.StatusBadRequest,
		`{"message":"Invalid JSON","details":[{"path":"/constraints(0)","errors":["Constraint definition must be an array of strings in format: <key>, <operator>[, value]"]}]}`)
	checkBody(t, "PUT labels", s.do(http.MethodPut, "/v2/apps/up", `{"labels":{"N":1}}`), http.StatusBadRequest,
		`{"message":"Invalid JSON","details":[{"path":"/labels/N","errors":["error.expected.jsstring"]}]}`)
	checkBody(t, "PUT cmd and args", s.do(http.MethodPut, "/v2/apps/up", `{"args":["y"]}`), http.StatusUnprocessableEntity,
		`{"message":"Object is not valid","details":[{"path":"/","errors":["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."]}]}`)
}

// TestReaderErrorStages: AppDefinitionReads reports errors in stages
// (api/v2/json/Formats.scala:969-1090 at v1.4.13): the first block of
// fields accumulates (cmd and constraints together), the extra fields
// (labels) are read only when it succeeded (flatMap), and a non-string env
// value throws before anything else is reported.
func TestReaderErrorStages(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	checkBody(t, "cmd, constraints and labels", s.do(http.MethodPost, "/v2/apps", `{"id":"/st","cmd":"","constraints":[["a"]],"labels":{"N":1}}`), http.StatusBadRequest,
		`{"message":"Invalid JSON","details":[{"path":"/cmd","errors":["error.minLength"]},{"path":"/constraints(0)","errors":["Constraint definition must be an array of strings in format: <key>, <operator>[, value]"]}]}`)
	checkBody(t, "env and cmd", s.do(http.MethodPost, "/v2/apps", `{"id":"/st","cmd":"","env":{"N":1}}`), http.StatusBadRequest,
		`{"message":"Invalid JSON","details":[{"path":"/secret","errors":["error.path.missing"]}]}`)
}

package marathonsim

import (
	"encoding/json"
	"reflect"
	"strings"
)

// Marathon 1.4.13 defaults (BEHAVIOUR.md §6).
const (
	defaultKillSelection = "YOUNGEST_FIRST"
	servicePortMin       = 10000
	servicePortMax       = 20000
)

var defaultUnreachable = json.RawMessage(`{"inactiveAfterSeconds":0,"expungeAfterSeconds":0}`)

// fetchFromURIs turns the uris of a full app definition into fetch entries
// as AppDefinitionReads does (Formats.scala:1068-1070 at v1.4.13): extract
// is FetchUri.isExtract(uri) (state/FetchUri.scala:40-48). An AppUpdate's
// uris (PUT, PATCH) become FetchUri(uri) with extract true
// (Formats.scala:1433), which applyDefaults does.
func fetchFromURIs(a *App) {
	if len(a.Fetch) > 0 || len(a.URIs) == 0 {
		return
	}
	for _, u := range a.URIs {
		a.Fetch = append(a.Fetch, Fetch{URI: u, Extract: ptr(isExtract(u))})
	}
}

func isExtract(uri string) bool {
	for _, ext := range []string{".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip"} {
		if strings.HasSuffix(uri, ext) {
			return true
		}
	}
	return false
}

// applyDefaults fills in every field Marathon 1.4.13 fills in when it reads an
// app definition. Service ports are assigned later, against the whole tree.
func applyDefaults(a *App) {
	if a.Args != nil && len(a.Args) == 0 {
		a.Args = nil
	}
	if a.Env == nil {
		a.Env = map[string]json.RawMessage{}
	}
	setDefault(&a.Instances, 1)
	setDefault(&a.CPUs, 1.0)
	setDefault(&a.Mem, 128.0)
	setDefault(&a.Disk, 0.0)
	setDefault(&a.GPUs, 0)
	setDefault(&a.Executor, "")
	a.Constraints = nonNil(a.Constraints)
	if len(a.Fetch) == 0 && len(a.URIs) > 0 {
		for _, u := range a.URIs {
			a.Fetch = append(a.Fetch, Fetch{URI: u})
		}
	}
	for i := range a.Fetch {
		f := &a.Fetch[i]
		setDefault(&f.Extract, true)
		setDefault(&f.Executable, false)
		setDefault(&f.Cache, false)
	}
	a.Fetch = nonNil(a.Fetch)
	a.URIs = make([]string, 0, len(a.Fetch))
	for _, f := range a.Fetch {
		a.URIs = append(a.URIs, f.URI)
	}
	a.StoreURLs = nonNil(a.StoreURLs)
	setDefault(&a.BackoffSeconds, 1)
	setDefault(&a.BackoffFactor, 1.15)
	setDefault(&a.MaxLaunchDelaySeconds, 3600)
	a.Container = defaultContainer(a.Container)
	a.HealthChecks = nonNil(a.HealthChecks)
	a.ReadinessChecks = nonNil(a.ReadinessChecks)
	a.Dependencies = nonNil(a.Dependencies)
	if a.UpgradeStrategy == nil {
		a.UpgradeStrategy = &UpgradeStrategy{}
	}
	setDefault(&a.UpgradeStrategy.MinimumHealthCapacity, 1.0)
	setDefault(&a.UpgradeStrategy.MaximumOverCapacity, 1.0)
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if isNull(a.IPAddress) {
		a.IPAddress = nil
	}
	if isNull(a.Residency) {
		a.Residency = nil
	}
	if a.Secrets == nil {
		a.Secrets = map[string]json.RawMessage{}
	}
	if isNull(a.UnreachableStrategy) {
		a.UnreachableStrategy = defaultUnreachable
	}
	if a.KillSelection == "" {
		a.KillSelection = defaultKillSelection
	}
	if len(a.AcceptedResourceRoles) == 0 {
		a.AcceptedResourceRoles = nil
	}
	defaultPorts(a)
	setDefault(&a.RequirePorts, false)
	// Formats.scala addHealthCheckPortIndexIfNecessary (lines 1100-1140 at
	// v1.4.13): portIndex 0 only when the app has ports.
	hasPorts := len(a.PortDefinitions) > 0 || len(containerPortMappings(a.Container)) > 0
	for i := range a.HealthChecks {
		defaultHealthCheck(&a.HealthChecks[i], hasPorts)
	}
}

// defaultPorts is AppDefinitionReads' portDefinitions (Formats.scala:1075-1084
// at v1.4.13): none with an ipAddress, else the given portDefinitions, else
// one per given `ports` entry, else DefaultPortDefinitions
// (AppDefinition.scala:455), whether or not the container has portMappings.
// A Docker BRIDGE app therefore keeps portDefinitions; they are zipped with
// the service ports of its portMappings when written (see servicePortsOf).
func defaultPorts(a *App) {
	switch {
	case a.IPAddress != nil:
		a.PortDefinitions = []PortDefinition{}
	case a.PortDefinitions == nil && a.Ports != nil:
		a.PortDefinitions = make([]PortDefinition, 0, len(a.Ports))
		for _, p := range a.Ports {
			a.PortDefinitions = append(a.PortDefinitions, PortDefinition{Port: p})
		}
	case a.PortDefinitions == nil:
		a.PortDefinitions = []PortDefinition{{Port: 0, Name: "default"}}
	}
	for i := range a.PortDefinitions {
		pd := &a.PortDefinitions[i]
		if pd.Protocol == "" {
			pd.Protocol = "tcp"
		}
		if pd.Labels == nil {
			pd.Labels = map[string]string{}
		}
	}
	a.Ports = nil
}

// defaultHealthCheck fills in a health check as Formats.HealthCheckFormat
// reads and writes it (api/v2/json/Formats.scala:711-840 at v1.4.13): the
// four basic durations for every protocol (core/health/HealthCheck.scala
// defaults 300/60/20/3); HTTP and HTTPS (MarathonHttpHealthCheck) add
// ignoreHttp1xx and keep path unset unless given; TCP has neither;
// COMMAND and the MESOS_* checks add delaySeconds (15) and no
// ignoreHttp1xx. portIndex 0 is added when no port is given and the app has
// ports (addHealthCheckPortIndexIfNecessary).
func defaultHealthCheck(h *HealthCheck, hasPorts bool) {
	setDefault(&h.GracePeriodSeconds, 300)
	setDefault(&h.IntervalSeconds, 60)
	setDefault(&h.TimeoutSeconds, 20)
	setDefault(&h.MaxConsecutiveFailures, 3)
	if h.Protocol == "" {
		h.Protocol = "HTTP"
	}
	h.Protocol = strings.ToUpper(h.Protocol)
	switch h.Protocol {
	case "HTTP", "HTTPS":
		setDefault(&h.IgnoreHTTP1xx, false)
		h.DelaySeconds = nil
	case "TCP":
		h.Path, h.IgnoreHTTP1xx, h.DelaySeconds = nil, nil, nil
	case "MESOS_HTTP", "MESOS_HTTPS":
		h.IgnoreHTTP1xx = nil
		setDefault(&h.DelaySeconds, 15)
	case "MESOS_TCP":
		h.Path, h.IgnoreHTTP1xx = nil, nil
		setDefault(&h.DelaySeconds, 15)
	case "COMMAND":
		h.Path, h.IgnoreHTTP1xx, h.Port, h.PortIndex = nil, nil, nil, nil
		setDefault(&h.DelaySeconds, 15)
	}
	if hasPorts && h.Protocol != "COMMAND" && h.Port == nil && h.PortIndex == nil {
		h.PortIndex = ptr(0)
	}
}

// mergeUpdate applies a partial update: every top-level field present in the
// body replaces the current value (Marathon's AppUpdate semantics).
func mergeUpdate(cur, upd *App, present map[string]json.RawMessage) *App {
	out := cur.clone()
	dst := reflect.ValueOf(out).Elem()
	src := reflect.ValueOf(upd).Elem()
	typ := dst.Type()
	for i := 0; i < typ.NumField(); i++ {
		name := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
		if _, ok := present[name]; ok && name != "id" && name != "version" {
			dst.Field(i).Set(src.Field(i))
		}
	}
	if _, ok := present["ports"]; ok {
		if _, ok := present["portDefinitions"]; !ok {
			out.PortDefinitions = nil
		}
	} else if _, ok := present["portDefinitions"]; !ok {
		out.Ports = nil
	}
	if _, ok := present["uris"]; ok {
		if _, ok := present["fetch"]; !ok {
			out.Fetch = nil
		}
	}
	return out
}

func setDefault[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func isNull(m json.RawMessage) bool {
	return len(m) == 0 || string(m) == "null"
}

// containerPortMappings returns container.docker.portMappings of a stored
// container. Marathon 1.4 has no container-level portMappings (1.5 added
// them); its reader ignores that key.
func containerPortMappings(c json.RawMessage) []map[string]any {
	if isNull(c) {
		return nil
	}
	var ct struct {
		Docker struct {
			PortMappings []map[string]any `json:"portMappings"`
		} `json:"docker"`
	}
	if json.Unmarshal(c, &ct) != nil {
		return nil
	}
	return ct.Docker.PortMappings
}

// defaultContainer reads a container as Marathon 1.4.13's ContainerReads
// does and returns it as ContainerWriter writes it (Formats.scala:220-460 at
// v1.4.13): type (default DOCKER) and volumes ([]); a DOCKER container's
// docker object has exactly image, network (null when not given),
// portMappings, privileged, parameters and forcePullImage. Port mappings
// survive only with network BRIDGE (hostPort defaulting to 0) or USER
// (Container.Docker.withDefaultPortMappings, state/Container.scala:47-70);
// without a network they are dropped. Each mapping gets containerPort and
// servicePort 0, protocol tcp and labels {} when not given
// (PortMappingFormat). Keys Marathon 1.4 does not read (container-level
// portMappings, 1.5's networks) are dropped.
func defaultContainer(c json.RawMessage) json.RawMessage {
	if isNull(c) {
		return nil
	}
	var ct map[string]any
	if json.Unmarshal(c, &ct) != nil {
		return c
	}
	out := map[string]any{"type": "DOCKER", "volumes": []any{}}
	if t, ok := ct["type"].(string); ok {
		out["type"] = t
	}
	if v, ok := ct["volumes"]; ok && v != nil {
		out["volumes"] = v
	}
	for _, k := range []string{"appc"} {
		if v, ok := ct[k]; ok {
			out[k] = v
		}
	}
	d, ok := ct["docker"].(map[string]any)
	if !ok {
		if ct["docker"] != nil {
			out["docker"] = ct["docker"]
		}
		return marshalOr(out, c)
	}
	if out["type"] != "DOCKER" {
		// MesosDocker (ContainerWriter MesosDockerContainerWrites).
		md := map[string]any{"image": d["image"], "credential": d["credential"], "forcePullImage": false}
		if v, ok := d["forcePullImage"]; ok {
			md["forcePullImage"] = v
		}
		out["docker"] = md
		return marshalOr(out, c)
	}
	network, _ := d["network"].(string)
	dock := map[string]any{"image": d["image"], "network": nil, "portMappings": []any{}, "privileged": false, "parameters": []any{}, "forcePullImage": false}
	if network != "" {
		dock["network"] = network
	}
	for _, k := range []string{"privileged", "parameters", "forcePullImage"} {
		if v, ok := d[k]; ok && v != nil {
			dock[k] = v
		}
	}
	if pms, ok := d["portMappings"].([]any); ok && (network == "BRIDGE" || network == "USER") {
		kept := make([]any, 0, len(pms))
		for _, pm := range pms {
			m, ok := pm.(map[string]any)
			if !ok {
				continue
			}
			if network == "BRIDGE" {
				setKey(m, "hostPort", 0)
			}
			setKey(m, "containerPort", 0)
			setKey(m, "servicePort", 0)
			setKey(m, "protocol", "tcp")
			setKey(m, "labels", map[string]any{})
			kept = append(kept, m)
		}
		dock["portMappings"] = kept
	}
	out["docker"] = dock
	return marshalOr(out, c)
}

func marshalOr(v any, fallback json.RawMessage) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return fallback
	}
	return b
}

func setKey(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

package specs

import "slices"

// Marathon 1.4.13's rules on ports (see validate_marathon.go for the
// conventions): port mappings, port definitions, legacy ports and
// ipAddress.discovery.

// networkOf returns the app's container.docker (nil without one) and its
// network ("" when unset).
func networkOf(m map[string]any) (docker map[string]any, network string) {
	docker = asMap(asMap(m["container"])["docker"])
	return docker, asString(docker["network"])
}

func (v *validator) portRules(c appCtx, m map[string]any) {
	docker, network := networkOf(m)
	mappings, _ := docker["portMappings"].([]any)
	portDefs, hasPortDefs := m["portDefinitions"].([]any)
	ports, hasPorts := m["ports"].([]any)
	v.convergingPorts(c, m, network, mappings, portDefs, ports)
	if hasPorts && hasPortDefs && len(ports) > 0 && len(portDefs) > 0 && !samePorts(ports, portDefs) {
		// Formats.scala:1061-1064
		v.report(c, []any{"ports"}, "ports and portDefinitions cannot both be set; keep portDefinitions")
	}
	if ip := asMap(m["ipAddress"]); ip != nil {
		if len(ports) > 0 || len(portDefs) > 0 {
			// Formats.scala:1057-1060
			field := "portDefinitions"
			if len(portDefs) == 0 {
				field = "ports"
			}
			v.report(c, []any{field}, "%s cannot be combined with ipAddress: with IP-per-task networking the ports come from ipAddress.discovery.ports", field)
		}
		if asMap(ip["discovery"]) != nil && (network == "BRIDGE" || network == "USER") {
			// AppDefinition.scala:535-541
			v.report(c, []any{"ipAddress", "discovery"}, "ipAddress.discovery is not allowed for Docker containers on a %s network; declare the ports in container.docker.portMappings", network)
		}
	}
	// Ports must be unique, 0 (assigned by Marathon) aside: Formats.scala:194-197.
	for i, p := range ports {
		n, _ := p.(int64)
		if first := slices.Index(ports[:i], p); first >= 0 && n != 0 {
			v.report(c, []any{"ports", i}, "port %d is listed twice (ports[%d]); ports must be unique", n, first)
		}
	}
	if len(portDefs) > 0 {
		v.uniquePorts(c, portDefs, portDefinitionsKeys, "port")
	}
	if len(mappings) > 0 {
		v.uniquePorts(c, mappings, portMappingsKeys, "")
	}
}

// Paths of the port lists; read-only (uniquePorts clones them to extend).
var (
	portDefinitionsKeys = []any{"portDefinitions"}
	portMappingsKeys    = []any{"container", "docker", "portMappings"}
)

// convergingPorts refuses the port shapes Marathon 1.4 accepts but rewrites,
// so that what pacer reads back never equals what it wrote (issues 12 and
// 21): the app would be written again on every pass.
func (v *validator) convergingPorts(c appCtx, m map[string]any, network string, mappings, portDefs, ports []any) {
	if len(mappings) == 0 || asString(asMap(m["container"])["type"]) == "MESOS" {
		return // the Mesos containerizer refuses mappings (containerRules)
	}
	switch network {
	case "BRIDGE", "USER":
		// Marathon 1.4 takes the service ports from the mappings
		// (AppDefinition.scala:283-284) and rewrites portDefinitions
		// from them (GroupManagerActor.scala:253-260, 290-292), so
		// given ones never read back as written.
		if len(portDefs) > 0 {
			v.report(c, []any{"portDefinitions"}, "portDefinitions cannot be combined with container.docker.portMappings on a %s network: Marathon 1.4 derives the ports from the portMappings and writes its own portDefinitions, so the app would never converge; remove portDefinitions", network)
		}
		if len(ports) > 0 {
			v.report(c, []any{"ports"}, "ports cannot be combined with container.docker.portMappings on a %s network: Marathon 1.4 derives the ports from the portMappings and writes its own, so the app would never converge; remove ports", network)
		}
	case "":
		// Container.scala:58-67 keeps mappings only for BRIDGE and USER.
		v.report(c, []any{"container", "docker", "portMappings"}, "container.docker.portMappings need container.docker.network BRIDGE or USER: without a network Marathon 1.4 drops them, so the app would never converge")
	default:
		v.report(c, []any{"container", "docker", "portMappings"}, "container.docker.portMappings are ignored on the %s network: Marathon 1.4 drops them (they only apply to BRIDGE and USER), so the app would never converge; remove them or use portDefinitions", network)
	}
}

func samePorts(ports, defs []any) bool {
	if len(ports) != len(defs) {
		return false
	}
	for i := range ports {
		p, _ := ports[i].(int64)
		d, _ := asMap(defs[i])["port"].(int64)
		if p != d {
			return false
		}
	}
	return true
}

// uniquePorts checks the names of port definitions or mappings (pattern and
// uniqueness) and, when portKey is set, that their ports are unique.
// PortDefinition.scala:16-34, Container.scala:106-125. The lists are short:
// a scan beats building maps for every app.
func (v *validator) uniquePorts(c appCtx, list []any, at []any, portKey string) {
	for i, raw := range list {
		pd := asMap(raw)
		if name, ok := pd["name"].(string); ok {
			if !portNameRE.MatchString(name) {
				v.report(c, append(slices.Clone(at), i, "name"), "port name must be lowercase letters, digits and dashes (^[a-z0-9-]+$), got %q", name)
			} else if first := indexOf(list[:i], "name", name); first >= 0 {
				v.report(c, append(slices.Clone(at), i, "name"), "port name %q is already used by %s[%d]; port names must be unique", name, fieldSuffix(at)[1:], first)
			}
		}
		if portKey == "" {
			continue
		}
		if p, ok := pd[portKey].(int64); ok && p != 0 {
			if first := indexOf(list[:i], portKey, p); first >= 0 {
				v.report(c, append(slices.Clone(at), i, portKey), "port %d is already used by %s[%d]; ports must be unique (0 lets Marathon assign one)", p, fieldSuffix(at)[1:], first)
			}
		}
	}
}

// indexOf returns the index of the first mapping in list whose key holds
// value, or -1.
func indexOf[T comparable](list []any, key string, value T) int {
	for i, raw := range list {
		if x, ok := asMap(raw)[key].(T); ok && x == value {
			return i
		}
	}
	return -1
}

// discoveryRules checks ipAddress.discovery.ports (Formats.scala:479-505):
// each needs a number and a name matching the port name pattern; names and
// number/protocol pairs are unique.
func (v *validator) discoveryRules(c appCtx, m map[string]any) {
	ports, _ := asMap(asMap(m["ipAddress"])["discovery"])["ports"].([]any)
	for i, raw := range ports {
		p := asMap(raw)
		keys := []any{"ipAddress", "discovery", "ports", i}
		name, hasName := p["name"].(string)
		switch {
		case !hasName:
			v.report(c, keys, "a discovery port needs a name")
		case !portNameRE.MatchString(name):
			v.report(c, append(keys, "name"), "port name must be lowercase letters, digits and dashes (^[a-z0-9-]+$), got %q", name)
		case indexOf(ports[:i], "name", name) >= 0:
			v.report(c, append(keys, "name"), "port name %q is used twice; discovery port names must be unique", name)
		}
		num, hasNum := p["number"].(int64)
		if !hasNum {
			v.report(c, keys, "a discovery port needs a number")
			continue
		}
		proto := cmpOr(asString(p["protocol"]), "tcp")
		for j := range i {
			q := asMap(ports[j])
			if n, _ := q["number"].(int64); n == num && cmpOr(asString(q["protocol"]), "tcp") == proto {
				v.report(c, append(keys, "number"), "port %d/%s is listed twice in ipAddress.discovery.ports", num, proto)
				break
			}
		}
	}
}

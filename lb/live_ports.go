package lb

import "github.com/gambol99/go-marathon"

// A POST or PUT's api_post_event carries the app definition as the client
// sent it: service ports 0 where Marathon assigns them afterwards
// (api/v2/AppsResource.scala:381 publishes the request's app; the ports
// are assigned by the group update, core/group/impl/GroupManagerActor.scala
// assignDynamicServicePorts, lines 238-290). Marathon gives a port 0 of an
// existing app the port it already had (lines 262-263: "if the app uses
// dynamic ports (0), it will get always the same ports assigned"), so the
// live state does the same; ports it cannot know yet make it re-read
// Marathon instead of serving the app without its frontend until the next
// periodic resync.

// keepAssignedPorts fills the port-0 service ports of def with old's
// ports at the same index (portDefinitions, Docker portMappings, legacy
// ports).
func keepAssignedPorts(def *marathon.Application, old marathon.Application) {
	if def.PortDefinitions != nil && old.PortDefinitions != nil {
		oldDefs := *old.PortDefinitions
		defs := append([]marathon.PortDefinition(nil), *def.PortDefinitions...)
		for i := range defs {
			if i < len(oldDefs) && (defs[i].Port == nil || *defs[i].Port == 0) && oldDefs[i].Port != nil && *oldDefs[i].Port != 0 {
				p := *oldDefs[i].Port
				defs[i].Port = &p
			}
		}
		def.PortDefinitions = &defs
	}
	if newMaps, oldMaps := dockerPortMappings(def), dockerPortMappings(&old); newMaps != nil && oldMaps != nil {
		maps := append([]marathon.PortMapping(nil), newMaps...)
		for i := range maps {
			if i < len(oldMaps) && maps[i].ServicePort == 0 && oldMaps[i].ServicePort != 0 {
				maps[i].ServicePort = oldMaps[i].ServicePort
			}
		}
		docker := *def.Container.Docker
		docker.PortMappings = &maps
		container := *def.Container
		container.Docker = &docker
		def.Container = &container
	}
	if len(def.Ports) > 0 {
		// "ports" mirrors the service ports (Formats.scala:1226).
		was := old.Ports
		if len(was) == 0 {
			for _, p := range appPorts(&old) {
				was = append(was, p.service)
			}
		}
		ports := append([]int(nil), def.Ports...)
		for i := range ports {
			if i < len(was) && ports[i] == 0 {
				ports[i] = was[i]
			}
		}
		def.Ports = ports
	}
}

// unassignedPorts reports whether def has a service port Marathon has not
// assigned yet (0).
func unassignedPorts(def marathon.Application) bool {
	if def.PortDefinitions != nil {
		for _, d := range *def.PortDefinitions {
			if d.Port == nil || *d.Port == 0 {
				return true
			}
		}
	}
	for _, m := range dockerPortMappings(&def) {
		if m.ServicePort == 0 {
			return true
		}
	}
	if def.PortDefinitions == nil {
		for _, p := range def.Ports {
			if p == 0 {
				return true
			}
		}
	}
	return false
}

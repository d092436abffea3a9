package lb

import "github.com/gambol99/go-marathon"

// appPort is one port of an app as Marathon declares it.
type appPort struct {
	service   int // service port (where the LB listens), 0 if none
	container int // container port, used to reach IP-per-task tasks
	protocol  string
}

// appPorts lists the app's ports from portDefinitions, else Docker
// portMappings (Marathon 1.5 moved ports there, nixy PR #33), else
// ipAddress.discovery ports (IP-per-task, nixy#22), else the legacy ports.
func appPorts(app *marathon.Application) []appPort {
	var ports []appPort
	switch {
	case app.PortDefinitions != nil && len(*app.PortDefinitions) > 0:
		// Marathon 1.4.13 writes portDefinitions for a Docker BRIDGE app
		// too, from its service ports, every one PortDefinition(0)'s tcp
		// (api/v2/json/Formats.scala:1224-1236): a mapping's protocol
		// (udp) lives only in its portMapping.
		mappings := dockerPortMappings(app)
		for i, d := range *app.PortDefinitions {
			p := appPort{protocol: d.Protocol}
			if d.Port != nil {
				p.service = *d.Port
			}
			if len(mappings) == len(*app.PortDefinitions) && mappings[i].Protocol != "" {
				p.protocol = mappings[i].Protocol
			}
			ports = append(ports, p)
		}
	case app.Container != nil && app.Container.Docker != nil && app.Container.Docker.PortMappings != nil &&
		len(*app.Container.Docker.PortMappings) > 0:
		for _, m := range *app.Container.Docker.PortMappings {
			ports = append(ports, appPort{service: m.ServicePort, container: m.ContainerPort, protocol: m.Protocol})
		}
	case app.IPAddressPerTask != nil && app.IPAddressPerTask.Discovery != nil &&
		app.IPAddressPerTask.Discovery.Ports != nil:
		for _, d := range *app.IPAddressPerTask.Discovery.Ports {
			ports = append(ports, appPort{container: d.Number, protocol: d.Protocol})
		}
	default:
		for _, p := range app.Ports {
			ports = append(ports, appPort{service: p})
		}
	}
	return ports
}

// dockerPortMappings are the app's Docker port mappings (nil without).
func dockerPortMappings(app *marathon.Application) []marathon.PortMapping {
	if app.Container == nil || app.Container.Docker == nil || app.Container.Docker.PortMappings == nil {
		return nil
	}
	return *app.Container.Docker.PortMappings
}

// taskFilter decides which tasks serve traffic.
type taskFilter struct {
	health  *healthPass
	leaving func(taskID string) bool
}

// servingTasks returns the tasks that serve: TASK_RUNNING (so never
// TASK_KILLING or a later state), with a host, not known to be leaving, and,
// for apps with health checks, healthy by every result (or, when results are
// briefly missing, by the HealthMemory).
func (f taskFilter) servingTasks(app *marathon.Application) []*marathon.Task {
	healthChecked := app.HealthChecks != nil && len(*app.HealthChecks) > 0
	var out []*marathon.Task
	for _, t := range app.Tasks {
		if t == nil || t.State != "TASK_RUNNING" || t.Host == "" {
			continue
		}
		if f.leaving != nil && f.leaving(t.ID) {
			continue
		}
		if healthChecked && !f.health.alive(t.ID, t.HealthCheckResults) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// serverFor is where task t serves app port idx: the agent host and the
// task's host port, or, for IP-per-task tasks without host ports, the task IP
// and the container port. ok is false when the task has no such port.
func serverFor(t *marathon.Task, ports []appPort, idx int) (Server, bool) {
	if idx < len(t.Ports) && t.Ports[idx] > 0 {
		return Server{TaskID: t.ID, Host: t.Host, Port: t.Ports[idx]}, true
	}
	if idx < len(ports) && ports[idx].container > 0 && len(t.IPAddresses) > 0 &&
		t.IPAddresses[0] != nil && t.IPAddresses[0].IPAddress != "" {
		return Server{TaskID: t.ID, Host: t.IPAddresses[0].IPAddress, Port: ports[idx].container}, true
	}
	return Server{}, false
}

func serversFor(tasks []*marathon.Task, ports []appPort, idx int) []Server {
	servers := make([]Server, 0, len(tasks))
	for _, t := range tasks {
		if s, ok := serverFor(t, ports, idx); ok {
			servers = append(servers, s)
		}
	}
	sortServers(servers)
	return servers
}

package lb

import (
	"fmt"

	"github.com/gambol99/go-marathon"
)

// nixyBackends applies nixy's rules: realm filter, hosts from subdomain /
// moxy_subdomain / reversed id, HTTP on port index 0, and (ours)
// NIXY_PROTOCOL=tcp|udp for a stream backend per port on its service port.
func nixyBackends(app *marathon.Application, opts SelectOptions, f taskFilter) ([]Backend, []Problem) {
	labels := appLabels(app)
	if opts.Realm != "" && labels[labelNixyRealm] != opts.Realm {
		return nil, nil
	}
	ports := appPorts(app)
	if len(ports) == 0 {
		return nil, nil // a worker without ports is not load balanced
	}
	skip := func(idx int, format string, args ...any) []Problem {
		return []Problem{{Kind: ProblemSkipped, AppID: app.ID, PortIndex: idx, Reason: fmt.Sprintf(format, args...)}}
	}

	var proto Protocol
	switch v := labels[labelNixyProtocol]; v {
	case "", "http":
		proto = ProtocolHTTP
	case "tcp":
		proto = ProtocolTCP
	case "udp":
		proto = ProtocolUDP
	default:
		return nil, skip(-1, "label %s: %q is not tcp, udp or http", labelNixyProtocol, v)
	}
	tasks := f.servingTasks(app)

	if proto == ProtocolHTTP {
		hosts, err := nixyHosts(app.ID, labels)
		if err != nil {
			return nil, skip(-1, "%v", err)
		}
		return []Backend{{
			Name: backendName(app.ID, 0), AppID: app.ID, Protocol: ProtocolHTTP, Hosts: hosts,
			Servers: serversFor(tasks, ports, 0), Labels: labels,
		}}, nil
	}

	var bs []Backend
	var probs []Problem
	for i, p := range ports {
		if p.service == 0 {
			probs = append(probs, skip(i, "%s app port %d has no service port to listen on", proto, i)...)
			continue
		}
		bs = append(bs, Backend{
			Name: backendName(app.ID, i), AppID: app.ID, PortIndex: i, Protocol: streamProtocol(app, len(ports), i, proto),
			ServicePort: p.service, Servers: serversFor(tasks, ports, i), Labels: labels,
		})
	}
	return bs, probs
}

// nixyHosts: the subdomain label (space-separated), else the legacy
// moxy_subdomain, else the app id reversed.
func nixyHosts(appID string, labels map[string]string) ([]string, error) {
	for _, l := range []string{labelSubdomain, labelMoxySubdomain} {
		if v, ok := labels[l]; ok {
			return parseHosts(v, "", l)
		}
	}
	return parseHosts(reversedID(appID), "", "app id")
}

// streamProtocol is the protocol of stream port i: the one its Docker port
// mapping declares (statsd's udp port beside its tcp admin port), else
// the app's NIXY_PROTOCOL. portDefinitions' protocols do not count: Marathon
// writes tcp in every one it fills in (api/v2/json/Formats.scala:1224-1236).
func streamProtocol(app *marathon.Application, nports, i int, label Protocol) Protocol {
	mappings := dockerPortMappings(app)
	if len(mappings) != nports {
		return label
	}
	switch Protocol(mappings[i].Protocol) {
	case ProtocolTCP:
		return ProtocolTCP
	case ProtocolUDP:
		return ProtocolUDP
	}
	return label
}

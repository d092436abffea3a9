package lb

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/gambol99/go-marathon"
)

// marathonLBBackends applies marathon-lb's rules, one backend per app port:
// HAPROXY_GROUP / HAPROXY_{n}_GROUP against the LB's groups, HAPROXY_{n}_ENABLED
// (required under strict mode), _VHOST, _PATH, _MODE, _PORT, _BIND_ADDR, _BALANCE.
func marathonLBBackends(app *marathon.Application, opts SelectOptions, f taskFilter) ([]Backend, []Problem) {
	labels := appLabels(app)
	ports := appPorts(app)
	appGroups := splitGroups(labels[labelHAProxyGroup])

	var bs []Backend
	var probs []Problem
	var tasks []*marathon.Task
	tasksDone := false
	for i, p := range ports {
		groups := appGroups
		if v, ok := labels[haproxyLabel(i, "GROUP")]; ok {
			groups = splitGroups(v)
		}
		if !hasGroup(opts.Groups, groups) {
			continue
		}
		if p.protocol == "udp" {
			probs = append(probs, Problem{Kind: ProblemSkipped, AppID: app.ID, PortIndex: i, Reason: "udp port: HAProxy does not proxy UDP"})
			continue
		}
		b, err := marathonLBPort(app.ID, labels, i, p, opts.StrictMode, httpHealthCheck(app, i))
		if err != nil {
			probs = append(probs, Problem{Kind: ProblemSkipped, AppID: app.ID, PortIndex: i, Reason: err.Error()})
			continue
		}
		if b == nil {
			continue // disabled
		}
		if !tasksDone {
			tasks, tasksDone = f.servingTasks(app), true
		}
		b.Servers = serversFor(tasks, ports, i)
		b.Labels = labels
		bs = append(bs, *b)
	}
	return bs, probs
}

// marathonLBPort builds the backend of port n from its labels; nil when the
// port is disabled.
func marathonLBPort(appID string, labels map[string]string, n int, p appPort, strict, httpCheck bool) (*Backend, error) {
	if v, ok := labels[haproxyLabel(n, "ENABLED")]; ok {
		enabled, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("label %s: %q is not a boolean", haproxyLabel(n, "ENABLED"), v)
		}
		if !enabled {
			return nil, nil
		}
	} else if strict {
		return nil, nil
	}

	b := &Backend{Name: backendName(appID, n), AppID: appID, PortIndex: n, ServicePort: p.service, Balance: "roundrobin"}
	if v, ok := labels[haproxyLabel(n, "VHOST")]; ok {
		hosts, err := parseHosts(v, ",", haproxyLabel(n, "VHOST"))
		if err != nil {
			return nil, err
		}
		b.Hosts = hosts
	}
	if v, ok := labels[haproxyLabel(n, "PATH")]; ok {
		paths, err := parsePaths(v, haproxyLabel(n, "PATH"))
		if err != nil {
			return nil, err
		}
		if len(paths) > 0 && len(b.Hosts) == 0 {
			return nil, fmt.Errorf("label %s needs %s", haproxyLabel(n, "PATH"), haproxyLabel(n, "VHOST"))
		}
		b.Paths = paths
	}
	switch v := strings.ToLower(strings.TrimSpace(labels[haproxyLabel(n, "MODE")])); {
	case v == "http":
		b.Protocol = ProtocolHTTP
	case v == "tcp":
		if len(b.Hosts) > 0 {
			return nil, fmt.Errorf("label %s: tcp mode cannot serve %s", haproxyLabel(n, "MODE"), haproxyLabel(n, "VHOST"))
		}
		b.Protocol = ProtocolTCP
	case v != "":
		return nil, fmt.Errorf("label %s: %q is not tcp or http", haproxyLabel(n, "MODE"), v)
	case len(b.Hosts) > 0 || httpCheck:
		b.Protocol = ProtocolHTTP
	default:
		b.Protocol = ProtocolTCP
	}
	if v, ok := labels[haproxyLabel(n, "PORT")]; ok {
		port, err := parsePort(v, haproxyLabel(n, "PORT"))
		if err != nil {
			return nil, err
		}
		b.ServicePort = port
	}
	if v, ok := labels[haproxyLabel(n, "BIND_ADDR")]; ok {
		// marathon-lb: "bind {bindAddr}:{servicePort}", default "*"
		// (marathon-lb config.py HAPROXY_FRONTEND_HEAD).
		v = strings.TrimSpace(v)
		if v != "*" && net.ParseIP(v) == nil {
			return nil, fmt.Errorf("label %s: %q is not an IP address or *", haproxyLabel(n, "BIND_ADDR"), v)
		}
		b.BindAddr = v
	}
	if v, ok := labels[haproxyLabel(n, "BALANCE")]; ok {
		v = strings.TrimSpace(v)
		if !balancePat.MatchString(v) {
			return nil, fmt.Errorf("label %s: invalid balance %q", haproxyLabel(n, "BALANCE"), v)
		}
		b.Balance = v
	}
	if b.ServicePort == 0 && len(b.Hosts) == 0 {
		return nil, fmt.Errorf("port %d has neither a service port nor %s", n, haproxyLabel(n, "VHOST"))
	}
	return b, nil
}

// httpHealthCheck: marathon-lb forces http mode on a port whose Marathon
// health check speaks HTTP.
func httpHealthCheck(app *marathon.Application, n int) bool {
	if app.HealthChecks == nil {
		return false
	}
	for _, hc := range *app.HealthChecks {
		idx := 0
		if hc.PortIndex != nil {
			idx = *hc.PortIndex
		}
		switch hc.Protocol {
		case "HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS":
			if idx == n {
				return true
			}
		}
	}
	return false
}

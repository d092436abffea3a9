package lb

import (
	"testing"

	"github.com/gambol99/go-marathon"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var ignoreLabels = cmpopts.IgnoreFields(Backend{}, "Labels")

func TestBackendsNixy(t *testing.T) {
	tests := []struct {
		name  string
		realm string
		apps  []marathon.Application
		want  []Backend
		probs []Problem
	}{{
		name: "host from reversed id, running tasks only",
		apps: []marathon.Application{app("/services/autofill/production/app", withPorts(10000), withTasks(
			task(1), task(2, inState("TASK_KILLING")), task(3, inState("TASK_STAGING")),
			task(4, onHost("")), task(5, ports()), task(6, inState("TASK_FINISHED")),
		))},
		want: []Backend{{
			Name: "services_autofill_production_app_0", AppID: "/services/autofill/production/app", Protocol: ProtocolHTTP,
			Hosts: []string{"app.production.autofill.services"}, Servers: []Server{srv(1)},
		}},
	}, {
		name: "health checks: every result alive, at least one",
		apps: []marathon.Application{app("/web", withPorts(10000), withHealthCheck("HTTP"), withTasks(
			task(1, health(true)), task(2, health(true, false)), task(3, noHealthResults()), task(4, health(true, true)),
		))},
		want: []Backend{{Name: "web_0", AppID: "/web", Protocol: ProtocolHTTP, Hosts: []string{"web"}, Servers: []Server{srv(1), srv(4)}}},
	}, {
		name: "subdomain wins over moxy_subdomain, space separated, lower-cased",
		apps: []marathon.Application{app("/web", withPorts(10000), withLabel("subdomain", "Web  web.example.com"),
			withLabel("moxy_subdomain", "old"), withTasks(task(1)))},
		want: []Backend{{Name: "web_0", AppID: "/web", Protocol: ProtocolHTTP, Hosts: []string{"web", "web.example.com"}, Servers: []Server{srv(1)}}},
	}, {
		name: "legacy moxy_subdomain",
		apps: []marathon.Application{app("/web", withPorts(10000), withLabel("moxy_subdomain", "old"), withTasks(task(1)))},
		want: []Backend{{Name: "web_0", AppID: "/web", Protocol: ProtocolHTTP, Hosts: []string{"old"}, Servers: []Server{srv(1)}}},
	}, {
		name:  "realm filters, other realms and unlabelled apps left out",
		realm: "internal",
		apps: []marathon.Application{
			app("/a", withPorts(1), withLabel("NIXY_REALM", "internal"), withTasks(task(1))),
			app("/b", withPorts(2), withLabel("NIXY_REALM", "external"), withTasks(task(2))),
			app("/c", withPorts(3), withTasks(task(3))),
		},
		want: []Backend{{Name: "a_0", AppID: "/a", Protocol: ProtocolHTTP, Hosts: []string{"a"}, Servers: []Server{srv(1)}}},
	}, {
		name: "no serving task: backend without servers (rendered as 503)",
		apps: []marathon.Application{app("/web", withPorts(10000), withTasks(task(1, inState("TASK_KILLING"))))},
		want: []Backend{{Name: "web_0", AppID: "/web", Protocol: ProtocolHTTP, Hosts: []string{"web"}, Servers: []Server{}}},
	}, {
		name: "app without ports is not load balanced",
		apps: []marathon.Application{app("/worker", withTasks(task(1, ports())))},
	}, {
		name: "tcp and udp: a stream backend per port on its service port",
		apps: []marathon.Application{
			app("/db", withPorts(10004, 10005), withLabel("NIXY_PROTOCOL", "tcp"), withTasks(task(1, ports(31001, 31002)))),
			app("/statsd", withPorts(10006), withLabel("NIXY_PROTOCOL", "udp"), withTasks(task(2))),
		},
		want: []Backend{
			{Name: "db_0", AppID: "/db", Protocol: ProtocolTCP, ServicePort: 10004, Servers: []Server{srv(1)}},
			{Name: "db_1", AppID: "/db", PortIndex: 1, Protocol: ProtocolTCP, ServicePort: 10005, Servers: []Server{{TaskID: "t1", Host: "10.0.0.1", Port: 31002}}},
			{Name: "statsd_0", AppID: "/statsd", Protocol: ProtocolUDP, ServicePort: 10006, Servers: []Server{srv(2)}},
		},
	}, {
		name: "duplicate host: first app keeps it, reported",
		apps: []marathon.Application{
			app("/b", withPorts(2), withLabel("subdomain", "shared b"), withTasks(task(2))),
			app("/a", withPorts(1), withLabel("subdomain", "shared"), withTasks(task(1))),
		},
		want: []Backend{
			{Name: "a_0", AppID: "/a", Protocol: ProtocolHTTP, Hosts: []string{"shared"}, Servers: []Server{srv(1)}},
			{Name: "b_0", AppID: "/b", Protocol: ProtocolHTTP, Hosts: []string{"b"}, Servers: []Server{srv(2)}},
		},
		probs: []Problem{{Kind: ProblemDuplicateHost, AppID: "/b", KeptBy: "a_0", Reason: "host shared is already served by a_0"}},
	}, {
		name: "duplicate stream port reported",
		apps: []marathon.Application{
			app("/a", withPorts(9000), withLabel("NIXY_PROTOCOL", "tcp"), withTasks(task(1))),
			app("/b", withPorts(9000), withLabel("NIXY_PROTOCOL", "tcp"), withTasks(task(2))),
		},
		want:  []Backend{{Name: "a_0", AppID: "/a", Protocol: ProtocolTCP, ServicePort: 9000, Servers: []Server{srv(1)}}},
		probs: []Problem{{Kind: ProblemDuplicatePort, AppID: "/b", KeptBy: "a_0", Reason: "service port tcp/9000 is already served by a_0"}},
	}, {
		name: "bad labels skip their app only",
		apps: []marathon.Application{
			app("/bad", withPorts(1), withLabel("subdomain", "x;}"), withTasks(task(1))),
			app("/proto", withPorts(2), withLabel("NIXY_PROTOCOL", "sctp"), withTasks(task(2))),
			app("/BadID", withPorts(3), withTasks(task(3))),
			app("/good", withPorts(4), withTasks(task(4))),
		},
		want: []Backend{{Name: "good_0", AppID: "/good", Protocol: ProtocolHTTP, Hosts: []string{"good"}, Servers: []Server{srv(4)}}},
		probs: []Problem{
			{Kind: ProblemSkipped, AppID: "/BadID", PortIndex: -1, Reason: `app id "/BadID" has an invalid segment "BadID"`},
			{Kind: ProblemSkipped, AppID: "/bad", PortIndex: -1, Reason: `label subdomain: invalid host "x;}"`},
			{Kind: ProblemSkipped, AppID: "/proto", PortIndex: -1, Reason: `label NIXY_PROTOCOL: "sctp" is not tcp, udp or http`},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Backends(t.Context(), tc.apps, SelectOptions{Flavor: FlavorNixy, Realm: tc.realm}, nil)
			if diff := cmp.Diff(tc.want, got.Backends, ignoreLabels, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("backends (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.probs, got.Problems, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackendsMarathonLB(t *testing.T) {
	tests := []struct {
		name   string
		groups []string
		strict bool
		apps   []marathon.Application
		want   []Backend
		probs  []Problem
	}{{
		name:   "tcp by default, groups comma-separated",
		groups: []string{"internal"},
		apps: []marathon.Application{
			app("/a", withPorts(10000), withLabel("HAPROXY_GROUP", "external, internal"), withTasks(task(1))),
			app("/b", withPorts(10001), withLabel("HAPROXY_GROUP", "external"), withTasks(task(2))),
			app("/c", withPorts(10002), withTasks(task(3))),
		},
		want: []Backend{{Name: "a_0", AppID: "/a", Protocol: ProtocolTCP, ServicePort: 10000, Balance: "roundrobin", Servers: []Server{srv(1)}}},
	}, {
		name:   "LB group * serves every app, app group * every LB",
		groups: []string{"*"},
		apps: []marathon.Application{
			app("/a", withPorts(10000), withLabel("HAPROXY_GROUP", "x"), withTasks(task(1))),
			app("/c", withPorts(10002), withTasks(task(3))),
		},
		want: []Backend{
			{Name: "a_0", AppID: "/a", Protocol: ProtocolTCP, ServicePort: 10000, Balance: "roundrobin", Servers: []Server{srv(1)}},
			{Name: "c_0", AppID: "/c", Protocol: ProtocolTCP, ServicePort: 10002, Balance: "roundrobin", Servers: []Server{srv(3)}},
		},
	}, {
		name:   "app group * matches a named LB group",
		groups: []string{"internal"},
		apps:   []marathon.Application{app("/a", withPorts(10000), withLabel("HAPROXY_GROUP", "*"), withTasks(task(1)))},
		want:   []Backend{{Name: "a_0", AppID: "/a", Protocol: ProtocolTCP, ServicePort: 10000, Balance: "roundrobin", Servers: []Server{srv(1)}}},
	}, {
		name:   "vhost makes http; path, balance, port override; per-port group",
		groups: []string{"external"},
		apps: []marathon.Application{app("/web", withPorts(10000, 10001),
			withLabel("HAPROXY_GROUP", "external"), withLabel("HAPROXY_0_VHOST", "web.example.com,WWW.example.com"),
			withLabel("HAPROXY_0_PATH", "/api /v2"), withLabel("HAPROXY_0_BALANCE", "leastconn"), withLabel("HAPROXY_0_PORT", "8443"),
			withLabel("HAPROXY_1_GROUP", "internal"),
			withTasks(task(1, ports(31001, 31002))))},
		want: []Backend{{
			Name: "web_0", AppID: "/web", Protocol: ProtocolHTTP, Hosts: []string{"web.example.com", "www.example.com"},
			Paths: []string{"/api", "/v2"}, ServicePort: 8443, Balance: "leastconn", Servers: []Server{srv(1)},
		}},
	}, {
		name:   "http health check forces http mode; MODE label wins",
		groups: []string{"*"},
		apps: []marathon.Application{
			app("/a", withPorts(10000), withHealthCheck("HTTP"), withTasks(task(1, health(true)))),
			app("/b", withPorts(10001), withHealthCheck("HTTP"), withLabel("HAPROXY_0_MODE", "tcp"), withTasks(task(2, health(true)))),
		},
		want: []Backend{
			{Name: "a_0", AppID: "/a", Protocol: ProtocolHTTP, ServicePort: 10000, Balance: "roundrobin", Servers: []Server{srv(1)}},
			{Name: "b_0", AppID: "/b", Protocol: ProtocolTCP, ServicePort: 10001, Balance: "roundrobin", Servers: []Server{srv(2)}},
		},
	}, {
		name:   "strict mode needs ENABLED=true; ENABLED=false always disables",
		groups: []string{"*"},
		strict: true,
		apps: []marathon.Application{
			app("/a", withPorts(10000, 10001), withLabel("HAPROXY_0_ENABLED", "true"), withTasks(task(1, ports(31001, 31002)))),
			app("/b", withPorts(10002), withLabel("HAPROXY_0_ENABLED", "false"), withTasks(task(2))),
		},
		want: []Backend{{Name: "a_0", AppID: "/a", Protocol: ProtocolTCP, ServicePort: 10000, Balance: "roundrobin", Servers: []Server{srv(1)}}},
	}, {
		name:   "invalid labels skip the port with a reason",
		groups: []string{"*"},
		apps: []marathon.Application{
			app("/a", withPorts(10000), withLabel("HAPROXY_0_BALANCE", "roundrobin\n  server evil 1.2.3.4:80")),
			app("/b", withPorts(10001), withLabel("HAPROXY_0_PATH", "/x")),
			app("/c", withPorts(10002), withLabel("HAPROXY_0_PORT", "70000")),
			app("/d", withPorts(10003), withLabel("HAPROXY_0_MODE", "quic")),
			app("/e", withUDPPort(10004)),
		},
		probs: []Problem{
			{Kind: ProblemSkipped, AppID: "/a", Reason: "label HAPROXY_0_BALANCE: invalid balance \"roundrobin\\n  server evil 1.2.3.4:80\""},
			{Kind: ProblemSkipped, AppID: "/b", Reason: "label HAPROXY_0_PATH needs HAPROXY_0_VHOST"},
			{Kind: ProblemSkipped, AppID: "/c", Reason: `label HAPROXY_0_PORT: invalid port "70000"`},
			{Kind: ProblemSkipped, AppID: "/d", Reason: `label HAPROXY_0_MODE: "quic" is not tcp or http`},
			{Kind: ProblemSkipped, AppID: "/e", Reason: "udp port: HAProxy does not proxy UDP"},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := SelectOptions{Flavor: FlavorMarathonLB, Groups: tc.groups, StrictMode: tc.strict}
			got := Backends(t.Context(), tc.apps, opts, nil)
			if diff := cmp.Diff(tc.want, got.Backends, ignoreLabels, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("backends (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.probs, got.Problems, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackendsLeaving(t *testing.T) {
	apps := []marathon.Application{app("/web", withPorts(10000), withTasks(task(1), task(2)))}
	opts := SelectOptions{Flavor: FlavorNixy, Leaving: func(id string) bool { return id == "t1" }}
	got := Backends(t.Context(), apps, opts, nil)
	if diff := cmp.Diff([]Server{srv(2)}, got.Backends[0].Servers); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
}

func TestBackendsIPPerTask(t *testing.T) {
	a := app("/ipt", withTasks(task(1, ports())))
	a.IPAddressPerTask = &marathon.IPAddressPerTask{Discovery: &marathon.Discovery{Ports: &[]marathon.Port{{Number: 8080}}}}
	a.Tasks[0].IPAddresses = []*marathon.IPAddress{{IPAddress: "172.16.0.5"}}
	got := Backends(t.Context(), []marathon.Application{a}, SelectOptions{Flavor: FlavorNixy}, nil)
	want := []Server{{TaskID: "t1", Host: "172.16.0.5", Port: 8080}}
	if diff := cmp.Diff(want, got.Backends[0].Servers); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
}

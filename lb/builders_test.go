package lb

import (
	"fmt"

	"github.com/gambol99/go-marathon"
)

// Functional builders for Marathon apps and tasks in tests.

type appOpt func(*marathon.Application)

func app(id string, opts ...appOpt) marathon.Application {
	a := marathon.Application{ID: id}
	for _, o := range opts {
		o(&a)
	}
	return a
}

func withLabel(k, v string) appOpt {
	return func(a *marathon.Application) {
		if a.Labels == nil {
			a.Labels = &map[string]string{}
		}
		(*a.Labels)[k] = v
	}
}

// withPorts declares portDefinitions with these service ports.
func withPorts(service ...int) appOpt {
	return func(a *marathon.Application) {
		defs := make([]marathon.PortDefinition, len(service))
		for i, p := range service {
			defs[i] = marathon.PortDefinition{Protocol: "tcp"}.SetPort(p)
		}
		a.PortDefinitions = &defs
	}
}

func withUDPPort(service int) appOpt {
	return func(a *marathon.Application) {
		defs := []marathon.PortDefinition{marathon.PortDefinition{Protocol: "udp"}.SetPort(service)}
		a.PortDefinitions = &defs
	}
}

func withHealthCheck(protocol string) appOpt {
	return func(a *marathon.Application) {
		a.HealthChecks = &[]marathon.HealthCheck{{Protocol: protocol}}
	}
}

func withTasks(ts ...*marathon.Task) appOpt {
	return func(a *marathon.Application) { a.Tasks = append(a.Tasks, ts...) }
}

type taskOpt func(*marathon.Task)

// task is a running task on host 10.0.0.<n> with the given host ports.
func task(n int, opts ...taskOpt) *marathon.Task {
	t := &marathon.Task{ID: fmt.Sprintf("t%d", n), Host: fmt.Sprintf("10.0.0.%d", n), State: "TASK_RUNNING", Ports: []int{31000 + n}}
	for _, o := range opts {
		o(t)
	}
	return t
}

func ports(p ...int) taskOpt       { return func(t *marathon.Task) { t.Ports = p } }
func onHost(h string) taskOpt      { return func(t *marathon.Task) { t.Host = h } }
func inState(s string) taskOpt     { return func(t *marathon.Task) { t.State = s } }
func noHealthResults() taskOpt     { return func(t *marathon.Task) { t.HealthCheckResults = nil } }
func withTaskID(id string) taskOpt { return func(t *marathon.Task) { t.ID = id } }

// health sets one health result per value.
func health(alive ...bool) taskOpt {
	return func(t *marathon.Task) {
		t.HealthCheckResults = nil
		for _, a := range alive {
			t.HealthCheckResults = append(t.HealthCheckResults, &marathon.HealthCheckResult{Alive: a, TaskID: t.ID})
		}
	}
}

// srv is the Server of task(n) on its first port.
func srv(n int) Server {
	return Server{TaskID: fmt.Sprintf("t%d", n), Host: fmt.Sprintf("10.0.0.%d", n), Port: 31000 + n}
}

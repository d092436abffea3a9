package lb

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"
	"github.com/google/go-cmp/cmp"
)

// Marathon 1.4.13's real shapes (issue 21), from the fixtures in
// testdata/marathon-1.4.13 (see its README).

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "marathon-1.4.13", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInstanceIDOf: task ids map to their instance as Marathon's
// Task.Id.instanceId does (core/task/Task.scala:179-189).
func TestInstanceIDOf(t *testing.T) {
	for _, tc := range []struct{ task, want string }{
		{"services_web.c7c311a4-b669-11e6-a48f-0ea4f4b1778c", "services_web.marathon-c7c311a4-b669-11e6-a48f-0ea4f4b1778c"},
		{"services_web_c7c311a4-b669-11e6-a48f-0ea4f4b1778c", "services_web.marathon-c7c311a4-b669-11e6-a48f-0ea4f4b1778c"},
		{"db.c7c311a4-b669-11e6-a48f-0ea4f4b1778c.3", "db.marathon-c7c311a4-b669-11e6-a48f-0ea4f4b1778c"}, // resident, attempt 3
		{"my-pod.instance-c7c311a4-b669-11e6-a48f-0ea4f4b1778c.web", "my-pod.instance-c7c311a4-b669-11e6-a48f-0ea4f4b1778c"},
		{"my-pod.marathon-c7c311a4-b669-11e6-a48f-0ea4f4b1778c.$anon", "my-pod.marathon-c7c311a4-b669-11e6-a48f-0ea4f4b1778c"},
		{"nodots", ""},
	} {
		if got := instanceIDOf(tc.task); got != tc.want {
			t.Errorf("instanceIDOf(%q) = %q, want %q", tc.task, got, tc.want)
		}
	}
}

// TestHealthEventByInstanceIDNoFullRead: Marathon 1.4.13 names the
// instance in a health event ("<app>.marathon-<uuid>" for task
// "<app>.<uuid>"); the event changes that task's health in the live state
// without a full read of Marathon (0 reads per health event).
func TestHealthEventByInstanceIDNoFullRead(t *testing.T) {
	const uuid = "c7c311a4-b669-11e6-a48f-0ea4f4b1778c"
	web := app("/services/web", withPorts(10000), withHealthCheck("HTTP"), withLabel("HAPROXY_GROUP", "external"),
		withTasks(task(1, withTaskID("services_web."+uuid), health(true)),
			task(2, withTaskID("services_web.0b3ef6a1-b66a-11e6-a48f-0ea4f4b1778c"), health(true)),
			// A resident task: "<app>.<uuid>.<attempt>".
			task(3, withTaskID("services_web.5d1c0e2f-b66a-11e6-a48f-0ea4f4b1778c.2"), health(true))))
	lister := &fakeLister{apps: []marathon.Application{web}}
	stream := &fakeStream{ch: make(chan Event)}
	state := &LiveState{}
	src := &Source{Lister: lister, Events: stream, State: state, Resync: time.Hour}
	changed := make(chan struct{}, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, func() { changed <- struct{}{} }) }()
	defer func() { cancel(); <-done }()
	<-changed // the first full read

	recorded := readFixture(t, "health_status_changed_event.json")
	resident := map[string]any{}
	if err := json.Unmarshal(recorded, &resident); err != nil {
		t.Fatal(err)
	}
	resident["instanceId"] = "services_web.marathon-5d1c0e2f-b66a-11e6-a48f-0ea4f4b1778c"
	events := []struct {
		ev   Event
		want []string
	}{
		{Event{Type: "health_status_changed_event", Data: recorded}, []string{"t2", "t3"}},
		{ev("health_status_changed_event", resident), []string{"t2"}},
		{healthEv("/services/web", "services_web.marathon-"+uuid, true), []string{"t1", "t2"}},
	}
	for i, e := range events {
		stream.ch <- e.ev
		select {
		case <-changed:
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d changed nothing", i)
		}
		var got []string
		for _, b := range Backends(t.Context(), state.Snapshot().Apps, SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"*"}}, nil).Backends {
			for _, s := range b.Servers {
				got = append(got, "t"+s.Host[len(s.Host)-1:])
			}
		}
		slices.Sort(got)
		if diff := cmp.Diff(e.want, got); diff != "" {
			t.Errorf("event %d: serving (-want +got):\n%s", i, diff)
		}
	}
	lister.mu.Lock()
	defer lister.mu.Unlock()
	if lister.reads != 1 {
		t.Errorf("%d full reads of Marathon, want 1 (the first): health events must not re-read", lister.reads)
	}
}

// TestBridgePortProtocols: Marathon 1.4.13 answers a Docker BRIDGE app
// with portDefinitions written from its service ports, all tcp; the
// protocol comes from the portMappings, so autofill's statsd UDP port is
// a UDP service for nginx's stream block and is left out by HAProxy (no
// UDP proxy), its TCP admin port served.
func TestBridgePortProtocols(t *testing.T) {
	a, err := decodeApplication(readFixture(t, "bridge-app.json"))
	if err != nil {
		t.Fatal(err)
	}
	apps := []marathon.Application{a}
	hap := Backends(t.Context(), apps, SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"internal"}}, nil)
	var got []string
	for _, b := range hap.Backends {
		got = append(got, b.Name+" "+string(b.Protocol))
	}
	for _, p := range hap.Problems {
		got = append(got, p.Reason)
	}
	want := []string{"services_autofill_production_statsd_1 tcp", "udp port: HAProxy does not proxy UDP"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HAProxy backends and problems (-want +got):\n%s", diff)
	}
	cfg, err := HAProxyRenderer{}.Render(hap.Backends)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cfg), ":10010\n") {
		t.Errorf("HAProxy config binds the UDP service port as TCP:\n%s", cfg)
	}
	got = nil
	for _, b := range Backends(t.Context(), apps, SelectOptions{Flavor: FlavorNixy, Realm: "internal"}, nil).Backends {
		got = append(got, fmt.Sprintf("%s %s %d", b.Name, b.Protocol, b.ServicePort))
	}
	// NIXY_PROTOCOL=udp makes the app a stream app; each port keeps its
	// mapping's protocol (the admin port is tcp).
	want = []string{"services_autofill_production_statsd_0 udp 10010", "services_autofill_production_statsd_1 tcp 10011"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nginx stream backends (-want +got):\n%s", diff)
	}
}

// TestLateAPIPostEventKeepsPorts: a POST's api_post_event carries the app
// as posted, service ports 0; arriving after a full read that has the
// assigned ports, it must not take the app's frontend away. A new app with
// ports 0 makes the state re-read Marathon for the assigned ports.
func TestLateAPIPostEventKeepsPorts(t *testing.T) {
	post := Event{Type: "api_post_event", Data: readFixture(t, "api_post_event-ports-0.json")}
	web := app("/services/web", withPorts(10042), withLabel("HAPROXY_GROUP", "external"),
		withTasks(task(1, withTaskID("services_web.c7c311a4-b669-11e6-a48f-0ea4f4b1778c"))))
	frontends := func(s *LiveState) []int {
		var out []int
		for _, b := range Backends(t.Context(), s.Snapshot().Apps, SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"*"}}, nil).Backends {
			out = append(out, b.ServicePort)
		}
		return out
	}

	s := &LiveState{}
	s.Replace([]marathon.Application{web}, nil)
	if eff, err := s.Apply(post); err != nil || eff != EffectChanged {
		t.Fatalf("late api_post_event: %v, %v; want a change", eff, err)
	}
	if diff := cmp.Diff([]int{10042}, frontends(s)); diff != "" {
		t.Errorf("service ports after the late api_post_event (-want +got):\n%s", diff)
	}

	// A BRIDGE app posted again: portMappings with servicePort 0 and no
	// portDefinitions (as a client writes it).
	bridge, err := decodeApplication(readFixture(t, "bridge-app.json"))
	if err != nil {
		t.Fatal(err)
	}
	s.Replace([]marathon.Application{bridge}, nil)
	posted := map[string]any{"id": bridge.ID, "labels": bridge.Labels, "container": map[string]any{"type": "DOCKER", "docker": map[string]any{
		"image": "statsd/statsd:v0.10.2", "network": "BRIDGE", "portMappings": []map[string]any{
			{"containerPort": 8125, "hostPort": 0, "servicePort": 0, "protocol": "udp"},
			{"containerPort": 8126, "hostPort": 0, "servicePort": 0, "protocol": "tcp"}}}}}
	if eff, err := s.Apply(ev("api_post_event", map[string]any{"appDefinition": posted})); err != nil || eff != EffectChanged {
		t.Fatalf("late api_post_event of a BRIDGE app: %v, %v; want a change", eff, err)
	}
	if diff := cmp.Diff([]int{10011}, frontends(s)); diff != "" {
		t.Errorf("BRIDGE service ports after the late api_post_event (-want +got):\n%s", diff)
	}

	fresh := &LiveState{}
	fresh.Replace(nil, nil)
	if eff, err := fresh.Apply(post); err != nil || eff != EffectResync {
		t.Fatalf("api_post_event of a new app with ports 0: %v, %v; want a re-read", eff, err)
	}
	if eff, _ := fresh.Apply(status("/services/web", "services_web.c7c311a4-b669-11e6-a48f-0ea4f4b1778c", "TASK_RUNNING", 31000)); eff != EffectResync {
		t.Errorf("task status of an app whose ports are unassigned: %v, want a re-read", eff)
	}
}

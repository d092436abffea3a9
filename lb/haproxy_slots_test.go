package lb

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSlotCapacity(t *testing.T) {
	tests := []struct{ tasks, want int }{
		{0, 8}, {1, 8}, {4, 8}, {5, 16}, {8, 16}, {9, 32}, {16, 32}, {17, 64}, {1000, 2048},
	}
	for _, tc := range tests {
		if got := slotCapacity(tc.tasks); got != tc.want {
			t.Errorf("slotCapacity(%d) = %d, want %d", tc.tasks, got, tc.want)
		}
	}
}

func slotServers(n int) []Server {
	var out []Server
	for i := range n {
		out = append(out, Server{TaskID: fmt.Sprintf("web.%d", i), Host: "10.0.0.1", Port: 31000 + i})
	}
	return out
}

// TestAssignSlots: slots are a pure function of the server set (order does
// not matter), every server has one slot, and a task leaving or arriving
// moves no other task.
func TestAssignSlots(t *testing.T) {
	for _, n := range []int{1, 3, 4, 7, 8, 16, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			servers := slotServers(n)
			slots := assignSlots(servers)
			reversed := make([]Server, n)
			for i, s := range servers {
				reversed[n-1-i] = s
			}
			if diff := cmp.Diff(slots, assignSlots(reversed)); diff != "" {
				t.Errorf("slots depend on the order of servers (-sorted +reversed):\n%s", diff)
			}
			filled := 0
			for _, s := range slots {
				if s != (Server{}) {
					filled++
				}
			}
			if filled != n {
				t.Errorf("%d slots filled, want %d", filled, n)
			}
			// Remove one task: when the capacity stays, few other slots
			// change (linear probing may move a neighbour or two).
			fewer := assignSlots(servers[1:])
			if len(fewer) != len(slots) {
				return
			}
			moved := 0
			for i := range slots {
				if slots[i] != fewer[i] && slots[i] != servers[0] {
					moved++
				}
			}
			if moved > max(2, n/20) {
				t.Errorf("removing one of %d tasks moved %d others", n, moved)
			}
		})
	}
}

func TestRuntimeCommands(t *testing.T) {
	a := Server{TaskID: "web.a", Host: "10.0.0.1", Port: 31001}
	b := Server{TaskID: "web.b", Host: "10.0.0.2", Port: 31002}
	c := Server{TaskID: "web.c", Host: "10.0.0.3", Port: 31003}
	named := Server{TaskID: "web.n", Host: "agent-1.example", Port: 31004}
	backend := func(servers ...Server) []Backend {
		return []Backend{{Name: "web_0", AppID: "/web", Protocol: ProtocolHTTP, Servers: servers}}
	}
	slotOf := func(s Server, servers ...Server) string {
		for i, x := range assignSlots(servers) {
			if x == s {
				return "web_0/" + slotName(i)
			}
		}
		return "?"
	}
	tests := []struct {
		name       string
		prev, next []Backend
		want       []string
		notRuntime bool
	}{
		{name: "unchanged", prev: backend(a, b), next: backend(a, b)},
		{name: "task leaves", prev: backend(a, b), next: backend(a),
			want: []string{"set server " + slotOf(b, a, b) + " state maint"}},
		{name: "task arrives", prev: backend(a), next: backend(a, c),
			want: []string{"set server " + slotOf(c, a, c) + " addr 10.0.0.3 port 31003", "set server " + slotOf(c, a, c) + " state ready"}},
		{name: "host name needs a reload", prev: backend(a), next: backend(a, named), notRuntime: true},
		{name: "new backend needs a reload", prev: nil, next: backend(a), notRuntime: true},
		{name: "capacity exceeded needs a reload", prev: backend(a), next: backend(slotServers(5)...), notRuntime: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runtimeCommands(tc.prev, tc.next)
			if tc.notRuntime {
				if err == nil {
					t.Fatalf("runtimeCommands = %q, want ErrNotRuntime", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
		})
	}
}

package status

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHistoryKeepsTheNewest(t *testing.T) {
	at := func(s int) Pass { return Pass{At: time.Unix(int64(s), 0), Applied: 1} } // writes: never folded
	tests := []struct {
		name string
		add  int
		want []Pass
	}{
		{"empty", 0, []Pass{}},
		{"partial", 2, []Pass{at(2), at(1)}},
		{"exactly full", 3, []Pass{at(3), at(2), at(1)}},
		{"wrapped", 5, []Pass{at(5), at(4), at(3)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHistory(3)
			for i := 1; i <= tc.add; i++ {
				h.Add(at(i))
			}
			if d := cmp.Diff(tc.want, h.List()); d != "" {
				t.Errorf("List (-want +got):\n%s", d)
			}
		})
	}
}

func TestPassOfTakesTheFirstError(t *testing.T) {
	c := Cluster{Revision: Revision{ID: "abc"}, MarathonError: "marathon down", PassError: "prune guard",
		InvalidRevision: &InvalidRevision{ID: "def"}, Applied: []AppliedChange{{App: "/a"}}}
	p := PassOf(c)
	if p.Error != "marathon down" || p.Invalid != "def" || p.Revision != "abc" || p.Applied != 1 {
		t.Errorf("PassOf = %+v", p)
	}
}

func TestFactsOf(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want SpecFacts
	}{
		{"defaults", `{}`, SpecFacts{Wanted: 1}},
		{"scaled to 0", `{"instances":0}`, SpecFacts{Wanted: 0}},
		{"links and exposure", `{"instances":3,"labels":{"RUNBOOK_URL":"https://wiki/rb","GRAFANA_URL":"javascript:alert(1)",
			"NIXY_REALM":"internal","HAPROXY_GROUP":"external","subdomain":"b.example a.example"}}`,
			SpecFacts{Wanted: 3, Links: []Link{{Text: "Runbook", Href: "https://wiki/rb"}},
				Exposure: &Exposure{NixyRealm: "internal", HAProxyGroup: "external", Hosts: []string{"a.example", "b.example"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, FactsOf([]byte(tc.def))); d != "" {
				t.Errorf("FactsOf (-want +got):\n%s", d)
			}
		})
	}
}

func TestHistoryFoldsQuietPasses(t *testing.T) {
	sum := func(out int) Summary { return Summary{Sync: map[Sync]int{OutOfSync: out}, Health: map[Health]int{}} }
	p := func(s int, out int, applied int) Pass {
		return Pass{At: time.Unix(int64(s), 0), Revision: "r", Summary: sum(out), Applied: applied}
	}
	h := NewHistory(10)
	for _, q := range []Pass{p(1, 1, 1), p(2, 0, 0), p(3, 0, 0), p(4, 0, 0), p(5, 1, 0), p(6, 1, 1), p(7, 1, 1)} {
		h.Add(q)
	}
	want := []Pass{p(7, 1, 1), p(6, 1, 1), {At: time.Unix(5, 0), Revision: "r", Summary: sum(1)},
		{At: time.Unix(4, 0), First: time.Unix(2, 0), Repeats: 2, Revision: "r", Summary: sum(0)}, p(1, 1, 1)}
	if d := cmp.Diff(want, h.List()); d != "" {
		t.Errorf("List (-want +got):\n%s", d)
	}
}

func TestWritesKeepTheNewestPerApp(t *testing.T) {
	w := NewWrites(3)
	w.Observe(Cluster{Revision: Revision{ID: "r1", Subject: "first"}, Applied: []AppliedChange{{App: "/a", Revision: "r1"}, {App: "/b", Revision: "r0"}}})
	w.Observe(Cluster{Revision: Revision{ID: "r2", Subject: "second"}, Applied: []AppliedChange{{App: "/a", Revision: "r2"}, {App: "/a", Revision: "r2", Action: "scale"}}})
	want := []Write{{AppliedChange: AppliedChange{App: "/a", Revision: "r2", Action: "scale"}, Subject: "second"},
		{AppliedChange: AppliedChange{App: "/a", Revision: "r2"}, Subject: "second"}}
	if d := cmp.Diff(want, w.Of("/a")); d != "" {
		t.Errorf("Of(/a) (-want +got):\n%s", d)
	}
	// The oldest (/a r1) fell out; /b's write kept no subject: r0 was not in force.
	if d := cmp.Diff([]Write{{AppliedChange: AppliedChange{App: "/b", Revision: "r0"}}}, w.Of("/b")); d != "" {
		t.Errorf("Of(/b) (-want +got):\n%s", d)
	}
	if n := len(w.Of("")); n != 3 {
		t.Errorf("Of(\"\") has %d writes, want 3", n)
	}
}

package status

import "testing"

func TestSummarizeChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []CheckState
		want ChecksSummary
	}{
		{"none", nil, ChecksSummary{}},
		{"pending only", []CheckState{CheckPending, CheckPending}, ChecksSummary{Total: 2, Worst: CheckPending}},
		{"ok beats pending", []CheckState{CheckPending, CheckOK}, ChecksSummary{Total: 2, Worst: CheckOK}},
		{"unknown beats ok", []CheckState{CheckOK, CheckUnknown}, ChecksSummary{Total: 2, Failing: 1, Worst: CheckUnknown}},
		{"warning beats unknown", []CheckState{CheckUnknown, CheckWarning, CheckOK}, ChecksSummary{Total: 3, Failing: 2, Worst: CheckWarning}},
		{"critical worst", []CheckState{CheckWarning, CheckCritical, CheckUnknown, CheckOK}, ChecksSummary{Total: 4, Failing: 3, Worst: CheckCritical}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cs []Check
			for _, s := range tc.in {
				cs = append(cs, Check{State: s})
			}
			if got := SummarizeChecks(cs); got != tc.want {
				t.Errorf("SummarizeChecks(%v) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestChecksByApp(t *testing.T) {
	cs := []Check{{ID: "a", App: "/x"}, {ID: "b"}, {ID: "c", App: "/x"}}
	m := ChecksByApp(cs)
	if len(m["/x"]) != 2 || m["/x"][0].ID != "a" || m["/x"][1].ID != "c" || len(m[""]) != 1 {
		t.Errorf("ChecksByApp = %+v", m)
	}
}

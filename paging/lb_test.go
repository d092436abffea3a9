package paging

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"pacer.dev/pacer/status"
)

// TestLBInvalid: a refused render and a config that could not be written
// (disk full) both raise LBConfigInvalid; a failed reload (the new config
// is in place and the reload is retried) and a good pass do not.
func TestLBInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		st   LBStatus
		want string
	}{
		{"good", LBStatus{}, ""},
		{"refused", LBStatus{ConfigInvalid: true, Err: errors.New("validate nginx.conf: invalid config")}, "invalid config"},
		{"refused without a reason", LBStatus{ConfigInvalid: true}, "the rendered config was refused"},
		{"disk full", LBStatus{Err: fmt.Errorf("write draft /lb/.nginx.conf.draft-1: %w", syscall.ENOSPC)}, "could not be put in place: write draft /lb/.nginx.conf.draft-1: no space left on device"},
		{"reload failed", LBStatus{Err: errors.New("reload: exit 1"), ReloadFailed: true}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.st.invalid()
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("invalid() = %q, want it to contain %q", got, tc.want)
			}
			var conds []string
			for _, s := range Signals(Input{Cluster: "ams"}, status.Cluster{}, tc.st) {
				conds = append(conds, string(s.Condition))
			}
			if (tc.want != "") != (len(conds) == 1 && conds[0] == "LBConfigInvalid") {
				t.Errorf("signals %v", conds)
			}
		})
	}
}

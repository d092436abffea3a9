package paging

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"pacer.dev/pacer/lb"
)

// TestAlerterLBInvalid: a refused render and a config that could not be
// written (disk full) both raise LBConfigInvalid; a failed reload (the new
// config is in place and the reload is retried) and a good pass do not.
func TestAlerterLBInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		st   lb.Status
		want string
	}{
		{"good", lb.Status{Changed: true}, ""},
		{"refused", lb.Status{ConfigInvalid: true, Err: &lb.ValidationError{CommandError: &lb.CommandError{}}}, "invalid config"},
		{"disk full", lb.Status{Err: fmt.Errorf("write draft /lb/.nginx.conf.draft-1: %w", syscall.ENOSPC)}, "could not be put in place: write draft /lb/.nginx.conf.draft-1: no space left on device"},
		{"reload failed", lb.Status{Changed: true, Err: &lb.ReloadError{CommandError: &lb.CommandError{}}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			al := &Alerter{lbStatus: func() lb.Status { return tc.st }}
			got := al.lbInvalid()
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("lbInvalid() = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

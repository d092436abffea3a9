package reconciler

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckIdentity(t *testing.T) {
	ams := Identity{Name: "marathon", FrameworkID: "ams-0000", ZK: "zk://zk-1.ams:2181/marathon"}
	for _, tc := range []struct {
		name      string
		got, want Identity
		errs      []string // substrings; nil: accepted
	}{
		{name: "same", got: ams, want: ams},
		{name: "nothing expected", got: ams, want: Identity{}},
		{name: "only the framework id expected", got: ams, want: Identity{FrameworkID: "ams-0000"}},
		{name: "other framework", got: Identity{FrameworkID: "fra-0000", ZK: ams.ZK}, want: ams,
			errs: []string{`frameworkId: Marathon reports "fra-0000", want "ams-0000"`, "cluster ams", "spec.marathon.expect", "refusing"}},
		{name: "not registered", got: Identity{ZK: ams.ZK, Name: "marathon"}, want: ams,
			errs: []string{`frameworkId: Marathon reports none, want "ams-0000"`}},
		{name: "other zk, credentials hidden", got: Identity{FrameworkID: "ams-0000", ZK: "zk://bob:s3cret@zk-1.fra:2181/marathon"}, want: Identity{ZK: ams.ZK},
			errs: []string{"zk: Marathon reports \"zk://bob:xxxxx@zk-1.fra:2181/marathon\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckIdentity("ams", tc.got, tc.want, "the Cluster spec's spec.marathon.expect")
			if tc.errs == nil {
				if err != nil {
					t.Fatalf("CheckIdentity: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrWrongMarathon) {
				t.Fatalf("CheckIdentity = %v; want ErrWrongMarathon", err)
			}
			for _, s := range tc.errs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q prints the zk password", err)
			}
		})
	}
}

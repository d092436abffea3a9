package operator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestEventApps(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		want   []string
		wantOK bool
	}{
		{"task status", `{"appId":"/a/b","taskStatus":"TASK_RUNNING"}`, []string{"/a/b"}, true},
		{"api post", `{"appDefinition":{"id":"/a/c"}}`, []string{"/a/c"}, true},
		{"deployment", `{"plan":{"affectedApps":["/x"],"steps":[{"actions":[{"app":"/y"}]}]}}`, []string{"/x", "/y"}, true},
		{"deployment step", `{"currentStep":{"actions":[{"action":"ScaleApplication","app":"z"}]}}`, []string{"/z"}, true},
		{"no app", `{"groupId":"/a"}`, nil, false},
		{"not json", `nope`, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := eventApps([]byte(tc.data))
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" || ok != tc.wantOK {
				t.Errorf("ok %t (want %t), ids (-want +got):\n%s", ok, tc.wantOK, diff)
			}
		})
	}
}

func TestManagedSetTouches(t *testing.T) {
	m := &managedSet{ids: map[string]bool{"/s/prod/api": true}, groups: []string{"/s/prod"}}
	tests := []struct {
		ids  []string
		want bool
	}{
		{[]string{"/s/prod/api"}, true},
		{[]string{"/s/prod/gone"}, true},
		{[]string{"/s/production/x"}, false},
		{[]string{"/other"}, false},
	}
	for _, tc := range tests {
		if got := m.touches(tc.ids); got != tc.want {
			t.Errorf("touches(%v) = %t, want %t", tc.ids, got, tc.want)
		}
	}
}

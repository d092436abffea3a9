package election

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOptionsValidate(t *testing.T) {
	zk := []string{"127.0.0.1:2181"}
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{name: "single instance needs no path", opts: Options{}},
		{name: "cluster path", opts: Options{Servers: zk, Path: "/pacer/ams"}},
		{name: "missing path", opts: Options{Servers: zk}, wantErr: true},
		{name: "relative path", opts: Options{Servers: zk, Path: "pacer/ams"}, wantErr: true},
		{name: "root path", opts: Options{Servers: zk, Path: "/"}, wantErr: true},
		{name: "trailing slash", opts: Options{Servers: zk, Path: "/pacer/"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if got := err != nil; got != tc.wantErr {
				t.Fatalf("New() error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("error %v is not ErrInvalidOptions", err)
			}
		})
	}
}

func TestParseServers(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{in: "", want: nil},
		{in: "a:2181", want: []string{"a:2181"}},
		{in: " a:2181, b:2181 ,,", want: []string{"a:2181", "b:2181"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseServers(tc.in)); diff != "" {
				t.Errorf("ParseServers(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestCandidatesOrder(t *testing.T) {
	tests := []struct {
		name     string
		children []string
		want     []string
	}{
		{name: "empty", children: nil, want: []string{}},
		{
			name: "by sequence, not by guid",
			children: []string{
				"_c_ffff-n_0000000012", "_c_0000-n_0000000013", "_c_aaaa-n_0000000002",
			},
			want: []string{"_c_aaaa-n_0000000002", "_c_ffff-n_0000000012", "_c_0000-n_0000000013"},
		},
		{name: "foreign nodes ignored", children: []string{"lock", "n_0000000001", "x_0000000000"}, want: []string{"n_0000000001"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, candidates(tc.children)); diff != "" {
				t.Errorf("candidates() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Leader: "leader", Follower: "follower", Disconnected: "disconnected"} {
		if got, _ := s.MarshalText(); string(got) != want {
			t.Errorf("State(%d) = %q, want %q", s, got, want)
		}
	}
}

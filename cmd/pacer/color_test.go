package main

import "testing"

func TestWantColor(t *testing.T) {
	for _, tc := range []struct {
		name string
		tty  bool
		flag bool
		env  map[string]string
		want bool
	}{
		{"terminal", true, false, map[string]string{"TERM": "xterm-256color"}, true},
		{"terminal, no TERM", true, false, nil, true},
		{"not a terminal", false, false, map[string]string{"TERM": "xterm"}, false},
		{"--no-color", true, true, map[string]string{"TERM": "xterm"}, false},
		{"NO_COLOR=1", true, false, map[string]string{"NO_COLOR": "1", "TERM": "xterm"}, false},
		{"NO_COLOR=0 still means no colour", true, false, map[string]string{"NO_COLOR": "0"}, false},
		{"NO_COLOR empty", true, false, map[string]string{"NO_COLOR": ""}, true},
		{"TERM=dumb", true, false, map[string]string{"TERM": "dumb"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := wantColor(tc.tty, tc.flag, func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("wantColor = %v, want %v", got, tc.want)
			}
		})
	}
}

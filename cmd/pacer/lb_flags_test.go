package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/lb"
)

// TestRunHasEveryLBFlag: every flag of pacer lb that configures the load
// balancer exists in pacer run as --lb-<flag>, with the same type, default
// and help, and pacer run has no --lb-* flag that pacer lb lacks; the two
// commands share lb.Config and cannot drift (issue 14, point 5).
func TestRunHasEveryLBFlag(t *testing.T) {
	a := &app{}
	lbFlags, runFlags := newLBCmd(a).Flags(), newRunCmd(a).Flags()
	// pacer lb's own: how the command runs, not how the LB is set up
	// (pacer run serves its metrics on its own --listen).
	own := map[string]bool{"once": true, "print-data": true, "metrics-listen": true, "http-idle-timeout": true, "http-max-conns": true}
	n := 0
	lbFlags.VisitAll(func(f *pflag.Flag) {
		if own[f.Name] {
			return
		}
		n++
		rf := runFlags.Lookup("lb-" + f.Name)
		if rf == nil {
			t.Errorf("pacer lb --%s has no pacer run --lb-%s", f.Name, f.Name)
			return
		}
		if rf.Value.Type() != f.Value.Type() || rf.DefValue != f.DefValue || rf.Usage != f.Usage {
			t.Errorf("--%s and --lb-%s differ:\n lb:  %s %q %q\n run: %s %q %q", f.Name, f.Name,
				f.Value.Type(), f.DefValue, f.Usage, rf.Value.Type(), rf.DefValue, rf.Usage)
		}
	})
	runFlags.VisitAll(func(f *pflag.Flag) {
		if name, ok := strings.CutPrefix(f.Name, "lb-"); ok && lbFlags.Lookup(name) == nil {
			t.Errorf("pacer run --%s has no pacer lb --%s", f.Name, name)
		}
	})
	// The flags the issue found missing from pacer run are among them.
	for _, name := range []string{"strict-mode", "debounce-min", "debounce-max", "min-reload-interval", "resync", "health-grace"} {
		if runFlags.Lookup("lb-"+name) == nil {
			t.Errorf("pacer run lacks --lb-%s", name)
		}
	}
	if n < 23 {
		t.Errorf("walked %d LB flags, want the whole lb.Config (23)", n)
	}
}

// TestRunLBFlagsReachThePipeline: the flags pacer run used to hard-code
// (debounce, minimum reload interval, resync) now reach its pipeline, as
// pacer lb's do.
func TestRunLBFlagsReachThePipeline(t *testing.T) {
	client, err := marathon.New(marathon.Options{URLs: []string{"http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	cmd := &cobra.Command{}
	var o runLBOptions
	addRunLBFlags(cmd, &o)
	if err := cmd.Flags().Parse([]string{"--lb-out", filepath.Join(t.TempDir(), "nginx.conf"), "--lb-debounce-min", "70ms",
		"--lb-debounce-max", "3s", "--lb-min-reload-interval", "0", "--lb-resync", "42s", "--lb-health-grace", "9m"}); err != nil {
		t.Fatal(err)
	}
	p, err := o.pipeline(client, nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	want := lb.Debounce{Min: 70 * time.Millisecond, Max: 3 * time.Second}
	if p.Debounce != want || p.MinReloadInterval != 0 || p.Source.Resync != 42*time.Second || o.HealthGrace != 9*time.Minute {
		t.Errorf("debounce %+v, min reload %v, resync %v, health grace %v; want %+v, 0, 42s, 9m",
			p.Debounce, p.MinReloadInterval, p.Source.Resync, o.HealthGrace, want)
	}
	// Without --lb-min-reload-interval, a reload command's 1s default.
	cmd, o = &cobra.Command{}, runLBOptions{}
	addRunLBFlags(cmd, &o)
	o.Out = filepath.Join(t.TempDir(), "nginx.conf")
	if p, err = o.pipeline(client, nil, prometheus.NewRegistry()); err != nil || p.MinReloadInterval != time.Second {
		t.Errorf("default min reload interval %v (%v), want 1s", p.MinReloadInterval, err)
	}
}

package lb

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// switchRenderer fails while err is set.
type switchRenderer struct {
	listRenderer
	err *error
}

func (r switchRenderer) Render(b []Backend) ([]byte, error) {
	if *r.err != nil {
		return nil, *r.err
	}
	return r.listRenderer.Render(b)
}

// TestMetrics runs passes through a write, a refused draft, a failed
// render and a recovery, and checks the metrics and LastStatus after each.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice on one registry succeeded")
	}
	state := &LiveState{}
	state.Replace(nil, nil)
	var renderErr error
	sink := newFakeSink()
	clock := newStepClock()
	p := &Pipeline{Source: &Source{State: state}, Renderer: switchRenderer{err: &renderErr}, Sink: sink,
		Clock: clock, Metrics: m}
	pass := func(apps ...marathon.Application) Status {
		t.Helper()
		state.Replace(apps, nil)
		st, rendered := p.Pass(t.Context(), clock.Now().Add(-30*time.Millisecond))
		if !rendered {
			t.Fatal("not rendered")
		}
		<-sink.applied
		return st
	}
	ok := pass(webApp(task(1, health(true)), task(2, health(true))))
	if ok.ConfigInvalid || !ok.Changed {
		t.Fatalf("first pass %+v", ok)
	}

	sink.err = &ValidationError{CommandError: &CommandError{Args: []string{"nginx", "-t"}, Output: "unknown directive"}}
	bad := pass(webApp(task(1, health(true))))
	if !bad.ConfigInvalid || !p.LastStatus().ConfigInvalid {
		t.Errorf("refused draft: status %+v, want ConfigInvalid", bad)
	}
	sink.err = nil
	renderErr = errors.New("template: boom")
	state.Replace([]marathon.Application{webApp(task(1, health(true)))}, nil)
	if st, _ := p.Pass(t.Context(), time.Time{}); !st.ConfigInvalid {
		t.Errorf("failed render: status %+v, want ConfigInvalid", st)
	}
	renderErr = nil
	if st := pass(app("/api", withPorts(10001), withTasks(task(3)))); st.ConfigInvalid || p.LastStatus().ConfigInvalid {
		t.Errorf("recovery: status %+v, want valid", st)
	}

	want := []string{
		`pacer_lb_app_tasks{app="/api"} 1`,
		`pacer_lb_backend_servers{app="/api",port="0"} 1`,
		`pacer_lb_backends 1`,
		`pacer_lb_config_invalid 0`,
		`pacer_lb_config_writes_total{validated="false"} 0`,
		`pacer_lb_config_writes_total{validated="true"} 2`,
		`pacer_lb_event_to_write_seconds_count 2`,
		`pacer_lb_invalid_configs_total{stage="render"} 1`,
		`pacer_lb_invalid_configs_total{stage="validate"} 1`,
		`pacer_lb_reload_duration_seconds_count 0`,
		`pacer_lb_reload_failed 0`,
		`pacer_lb_reloads_total{result="error"} 0`,
		`pacer_lb_reloads_total{result="ok"} 0`,
		`pacer_lb_renders_total{result="error"} 1`,
		`pacer_lb_renders_total{result="ok"} 3`,
		`pacer_lb_runtime_update_duration_seconds_count 0`,
		`pacer_lb_runtime_updates_total{result="error"} 0`,
		`pacer_lb_runtime_updates_total{result="ok"} 0`,
		`pacer_lb_servers 1`,
	}
	if diff := cmp.Diff(want, gather(t, reg)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

// gather renders counters, gauges and histogram counts as
// `name{label="value",...} value` lines, sorted.
func gather(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.GetCounter() != nil:
				out = append(out, fmt.Sprintf("%s %g", name, m.GetCounter().GetValue()))
			case m.GetGauge() != nil:
				out = append(out, fmt.Sprintf("%s %g", name, m.GetGauge().GetValue()))
			case m.GetHistogram() != nil && !strings.HasPrefix(name, "pacer_lb_apply"):
				out = append(out, fmt.Sprintf("%s_count %d", name, m.GetHistogram().GetSampleCount()))
			}
		}
	}
	slices.Sort(out)
	return out
}

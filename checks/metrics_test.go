package checks

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// gathered flattens the registry to "name{label=value,...} value" lines
// (counters and gauges) and "name count" for histograms.
func gathered(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName() + "{"
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetName() + "=" + l.GetValue()
			}
			key += "}"
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	c := execCheck("/g/test:queue", "one")
	m.Observe(&c, Result{State: Warning, Duration: 20 * time.Millisecond, Perfdata: []Perf{{Label: "queue depth", Value: 42}}}, OK)
	m.Observe(&c, Result{State: Critical, Duration: 30 * time.Millisecond}, Critical)
	m.ObserveLag(0.002)
	agent := StateOf(&c)
	agent.ID = "/g/test:agent"
	agent.Status = Status{Hard: Warning, Runs: 1, Last: Result{Perfdata: []Perf{{Label: "age", Value: 90, UOM: "s"}}}}
	m.SetState(agent)
	want := map[string]float64{
		"pacer_check_runs_total{check=/g/test:queue,kind=exec,state=CRITICAL}": 1,
		"pacer_check_runs_total{check=/g/test:queue,kind=exec,state=WARNING}":  1,
		"pacer_check_state{check=/g/test:queue,environment=test,kind=exec}":    2,
		"pacer_check_perfdata{check=/g/test:queue,label=queue depth,uom=}":     42,
		"pacer_check_duration_seconds{check=/g/test:queue,kind=exec}":          2,
		"pacer_check_lag_seconds{}":                                            1,
		"pacer_check_state{check=/g/test:agent,environment=test,kind=exec}":    1,
		"pacer_check_perfdata{check=/g/test:agent,label=age,uom=s}":            90,
	}
	if diff := cmp.Diff(want, gathered(t, reg)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

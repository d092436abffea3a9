package reconciler

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

const benchApps = 10000

// benchInstances is the instance count of every benchmark app.
var benchInstances = envOr("PACER_BENCH_INSTANCES", "2")

// benchDesired renders n realistic apps; every 100th app fetches another
// artifact when changed is true (1% of the apps differ from the base).
func benchDesired(n int, changed bool) []DesiredApp {
	out := make([]DesiredApp, n)
	for i := range out {
		tag := "1"
		if changed && i%100 == 0 {
			tag = "2"
		}
		out[i] = DesiredApp{
			ID:     fmt.Sprintf("/team%02d/env/app%05d", i%100, i),
			Source: fmt.Sprintf("services/team%02d.yaml:%d:5", i%100, 10+i/100),
			// A cmd app with a port definition: docker port mappings make
			// the simulator's bulk create quadratic (see the final note in
			// the PR), not pacer.
			Definition: json.RawMessage(`{"instances":` + benchInstances + `,"cpus":0.1,"mem":64,
				"cmd":"/usr/local/bin/app --port $PORT0","fetch":[{"uri":"https://artifacts.example/app-` + tag + `.tgz"}],
				"portDefinitions":[{"port":0,"protocol":"tcp","name":"http"}],
				"env":{"LOG_LEVEL":"info","TEAM":"team"},"labels":{"HAPROXY_GROUP":"internal","NIXY_REALM":"internal"},
				"constraints":[["hostname","UNIQUE"]],
				"healthChecks":[{"protocol":"HTTP","path":"/health","portIndex":0}],
				"upgradeStrategy":{"minimumHealthCapacity":0.5,"maximumOverCapacity":0.5}}`),
			Revision: "abc123",
		}
	}
	return out
}

// benchSim starts a simulator holding the base apps (one bulk PUT, then a
// wait for its deployment) and a client counting its requests.
func benchSim(b *testing.B) (*reconcilertest.Sim, *marathon.Client) {
	b.Helper()
	sim := reconcilertest.NewSim(b, marathonsim.Options{TaskStart: time.Millisecond})
	defs := make([]json.RawMessage, 0, benchApps)
	for _, d := range benchDesired(benchApps, false) {
		def, err := d.desiredDefinition()
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := json.Marshal(def)
		defs = append(defs, raw)
	}
	body, _ := json.Marshal(defs)
	code, resp := sim.Control(b, http.MethodPut, "/v2/apps", string(body))
	if code != http.StatusOK {
		b.Fatalf("bulk put: %d %.300s", code, resp)
	}
	var res struct{ DeploymentID string }
	if err := json.Unmarshal([]byte(resp), &res); err != nil {
		b.Fatal(err)
	}
	c, err := marathon.New(marathon.Options{URLs: []string{sim.URL}})
	if err != nil {
		b.Fatal(err)
	}
	a := &applier{m: c, opts: ApplyOptions{PollInterval: 100 * time.Millisecond}.withDefaults()}
	if _, err := a.wait(b.Context(), []string{res.DeploymentID}, 2*time.Minute); err != nil {
		b.Fatalf("bulk deployment: %v", err)
	}
	return sim, c
}

// BenchmarkPlan10k is one pass without writes: the bulk read of 10,000
// apps (20,000 tasks) from the simulator over HTTP, normalization, diff and
// plan. Run:
//
//	go test ./reconciler -run '^$' -bench Plan10k -benchmem -benchtime 10x
//
// The headline cases hold a PlanCache across passes, as the operator's loop
// does; their first pass fills it. "no-cache" plans every pass from scratch,
// as a one-shot `pacer plan` does. The "recorded/" cases serve a response
// body recorded from the simulator from memory instead, so that their CPU
// time and pass-RSS-MB are pacer's own share (the simulator's state still
// counts in peak-RSS-MB).
func BenchmarkPlan10k(b *testing.B) {
	sim, simClient := benchSim(b)
	// The recording is made after the simulator cases, so that it does not
	// weigh on their memory figures.
	var recClient *marathon.Client
	parent := b
	recorded := func(b *testing.B) *marathon.Client {
		if recClient == nil {
			recClient = recordedServer(b, sim, parent.Cleanup)
		}
		return recClient
	}
	for _, tc := range []struct {
		name     string
		recorded bool
		changed  bool
		cache    bool
		want     int
	}{
		{"unchanged", false, false, true, 0},
		{"1pct-changed", false, true, true, benchApps / 100},
		{"unchanged-no-cache", false, false, false, 0},
		{"recorded/unchanged", true, false, true, 0},
		{"recorded/1pct-changed", true, true, true, benchApps / 100},
		{"recorded/unchanged-no-cache", true, false, false, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := simClient
			if tc.recorded {
				c = recorded(b)
			}
			desired := benchDesired(benchApps, tc.changed)
			sim.Rec.Reset()
			peak := startPeakRSS(b)
			b.ReportAllocs()
			passes := 0
			var opts PlanOptions
			if tc.cache {
				opts.Cache = NewPlanCache()
			}
			cpu0 := cpuTime()
			for b.Loop() {
				live, err := c.ListApps(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				p, err := NewPlan(desired, live, opts)
				if err != nil {
					b.Fatal(err)
				}
				if p.Summary.Update != tc.want || p.Summary.Unchanged != benchApps-tc.want {
					b.Fatalf("summary = %+v, want %d updates", p.Summary, tc.want)
				}
				passes++
			}
			// CPU time (pacer and the simulator) does not depend on what
			// else runs on the machine, as wall time does.
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(passes), "cpu-s/pass")
			if !tc.recorded {
				b.ReportMetric(float64(len(sim.Rec.Requests()))/float64(passes), "requests/pass")
			}
			peak.report(b)
			reportMaxRSS(b)
			// What pacer holds at the end of a pass (the live apps and the
			// plan) beyond the heap held before the passes, after a GC.
			live, err := c.ListApps(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			p, err := NewPlan(desired, live, opts)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(heapMB()-peak.heap, "retained-heap-MB")
			runtime.KeepAlive(live)
			runtime.KeepAlive(p)
		})
	}
}

// heapMB is the heap in use after a GC.
func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// recordedServer serves the simulator's answer to pacer's app list request,
// recorded once, from memory until cleanup; it returns a client of it.
func recordedServer(b *testing.B, sim *reconcilertest.Sim, cleanup func(func())) *marathon.Client {
	b.Helper()
	code, body := sim.Control(b, http.MethodGet, "/v2/apps?embed=apps.tasks&embed=apps.deployments&embed=apps.lastTaskFailure", "")
	if code != http.StatusOK {
		b.Fatalf("list apps: %d %.300s", code, body)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	cleanup(srv.Close)
	c, err := marathon.New(marathon.Options{URLs: []string{srv.URL}})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkApply10k1pct is a full pass with 1% of the apps changed: read,
// plan, write each change and wait until Marathon has rolled them out. The
// passes alternate between two image tags so that each one has 100 updates.
//
//	go test ./reconciler -run '^$' -bench Apply10k -benchmem -benchtime 5x
func BenchmarkApply10k1pct(b *testing.B) {
	sim, c := benchSim(b)
	versions := [][]DesiredApp{benchDesired(benchApps, true), benchDesired(benchApps, false)}
	sim.Rec.Reset()
	peak := startPeakRSS(b)
	b.ReportAllocs()
	passes := 0
	for b.Loop() {
		live, err := c.ListApps(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		p, err := NewPlan(versions[passes%2], live, PlanOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if p.Summary.Update != benchApps/100 {
			b.Fatalf("summary = %+v, want %d updates", p.Summary, benchApps/100)
		}
		if _, err := Apply(b.Context(), c, p, ApplyOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
			b.Fatal(err)
		}
		passes++
	}
	var reads, writes, polls int
	for _, r := range sim.Rec.Requests() {
		switch {
		case r.Method != http.MethodGet:
			writes++
		case r.Path == "/v2/apps":
			reads++
		default:
			polls++
		}
	}
	n := float64(passes)
	b.ReportMetric(float64(reads)/n, "app-reads/pass")
	b.ReportMetric(float64(writes)/n, "writes/pass")
	b.ReportMetric(float64(polls)/n, "deployment-polls/pass")
	peak.report(b)
	reportMaxRSS(b)
}

// peakRSS measures the peak resident memory of the process (pacer and the
// in-process simulator together) over the passes only: the simulator's
// bulk create of the 10,000 apps in benchSim peaks higher than any pass and
// would otherwise set the figure. It lowers the kernel's high-water mark to
// the current RSS (writing 5 to /proc/self/clear_refs) and reads VmHWM from
// /proc/self/status afterwards; where that is not possible (not Linux) it
// reports nothing.
type peakRSS struct {
	ok   bool
	base float64 // RSS in MB when the measurement starts (setup, the simulator's state)
	heap float64 // heap in use then, in MB
}

func startPeakRSS(b *testing.B) peakRSS {
	b.Helper()
	heap := heapMB()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS (%v); reporting none", err)
		return peakRSS{heap: heap}
	}
	return peakRSS{ok: true, base: statusMB("VmRSS:"), heap: heap}
}

func (p peakRSS) report(b *testing.B) {
	if !p.ok {
		return
	}
	if peak := statusMB("VmHWM:"); peak > 0 {
		b.ReportMetric(peak, "peak-RSS-MB")
		// What the passes add on top of the state held before them.
		b.ReportMetric(peak-p.base, "pass-RSS-MB")
	}
}

// statusMB reads a kB field of /proc/self/status in MB (0 if missing).
func statusMB(field string) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				return 0
			}
			return float64(kb) / 1024
		}
	}
	return 0
}

// reportMaxRSS reports the process's peak resident memory since it started,
// setup included: pacer and the in-process simulator together.
func reportMaxRSS(b *testing.B) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "process-peak-RSS-MB")
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

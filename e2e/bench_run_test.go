package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// Steady-state benchmark of the real `pacer run` binary managing
// benchApps apps in marathon-sim, from a local git repository:
//
//	go test ./e2e -run '^$' -bench BenchmarkRun10kApps -benchtime 5x
//
// The sync interval is benchInterval, so one Idle op is one full interval
// with its pass.
const (
	benchGroups   = 100
	benchPerGroup = 100
	benchApps     = benchGroups * benchPerGroup
	benchInterval = 10 * time.Second
	benchToken    = "bench-s3cret"
)

func benchAppID(i int) string {
	return fmt.Sprintf("/services/g%03d/production/app%03d", i/benchPerGroup, i%benchPerGroup)
}

// benchSpecs is the spec tree; instances overrides the instance count of
// an app index (default 1).
func benchSpecs(instances map[int]int) map[string]string {
	files := map[string]string{"specs/cluster.yaml": `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
`}
	for g := range benchGroups {
		var sb strings.Builder
		fmt.Fprintf(&sb, `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: g%03d, parent: /services}
spec:
  environments:
    production: {clusters: [ams], sync: {policy: automated, prune: true}}
  apps:
`, g)
		for a := range benchPerGroup {
			n := 1
			if v, ok := instances[g*benchPerGroup+a]; ok {
				n = v
			}
			fmt.Fprintf(&sb, "    app%03d: {instances: %d, cpus: 0.01, mem: 32, cmd: \"sleep 1000\"}\n", a, n)
		}
		files[fmt.Sprintf("specs/g%03d.yaml", g)] = sb.String()
	}
	return files
}

// procUsage reads a process's CPU time (user + system) and resident memory.
func procUsage(tb testing.TB, pid int) (cpu time.Duration, rssBytes int64) {
	tb.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of stat
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	const clkTck = 100                          // USER_HZ on Linux
	cpu = time.Duration(utime+stime) * time.Second / clkTck
	st, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	sc := bufio.NewScanner(st)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			rssBytes = kb * 1024
		}
	}
	return cpu, rssBytes
}

// metric returns the value of an unlabelled (or exactly labelled) sample in
// pacer's /metrics.
func metric(tb testing.TB, base, name string) float64 {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodGet, base+"/metrics", nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	return 0
}

// BenchmarkRun10kApps measures `pacer run` in steady state with 10,000
// managed apps: Idle (CPU, memory and pass duration over one sync interval
// with nothing to change), WebhookToDeployment (a pushed change announced by
// the webhook until Marathon accepted the write that starts its deployment)
// and DriftToHeal (an out-of-band scale until pacer's write undoing it was
// accepted), timed at the recording proxy in front of the simulator.
func BenchmarkRun10kApps(b *testing.B) {
	sim := startSimTB(b, "--task-start", "10ms")
	rec := newWriteRecorder(b, sim)
	repo := gittest.New(b)
	repo.Push("10k apps", benchSpecs(nil))
	// Create the apps with one `pacer reconcile` first: it is the steady
	// state that is measured, and creating 10,000 apps with an event stream
	// subscribed is slow in the simulator (every deployment event renders
	// the whole group).
	start := time.Now()
	create := exec.CommandContext(b.Context(), bin.pacer, "reconcile", "--specs", filepath.Join(repo.Work, "specs"),
		"--cluster", "ams", "--marathon", sim, "--revision", repo.Head(), "--log-format", "console")
	if out, err := create.CombinedOutput(); err != nil {
		b.Fatalf("pacer reconcile: %v\n%s", err, tail(string(out), 4000))
	}
	b.Logf("%d apps created by pacer reconcile in %s", benchApps, time.Since(start))
	p := startPacer(b, "bench", []string{"PACER_GITLAB_TOKEN=" + benchToken},
		"--git-url", repo.URL(), "--git-path", "specs", "--cluster", "ams", "--marathon", rec.proxy(b, "bench"),
		"--sync-interval", benchInterval.String())
	start = time.Now()
	poll(b, 5*time.Minute, "10,000 apps created and synced", func() (bool, error) {
		if metric(b, p.base, "pacer_invalid_revision") == 1 {
			b.Fatalf("the benchmark's specs are invalid:\n%s", tail(p.logs.String(), 2000))
		}
		n := metric(b, p.base, `pacer_apps_sync_status{status="Synced"}`)
		return n == benchApps, fmt.Errorf("%v synced", n)
	})
	b.Logf("pacer run synced %d apps in %s with %d writes", benchApps, time.Since(start), rec.len())
	pid := p.cmd.Process.Pid

	b.Run("Idle", func(b *testing.B) {
		// Let the creation's deployments and events settle: one quiet
		// interval pass first.
		passes := func() float64 { return metric(b, p.base, `pacer_reconcile_passes_total{result="ok"}`) }
		waitPass := func(after float64) {
			poll(b, 3*benchInterval, "next pass", func() (bool, error) { return passes() > after, nil })
		}
		waitPass(passes())
		b.ResetTimer()
		var cpu time.Duration
		var rss, heap, passSec, passN float64
		for b.Loop() {
			writes := rec.len()
			cpu0, _ := procUsage(b, pid)
			sum0 := metric(b, p.base, "pacer_reconcile_duration_seconds_sum")
			n0 := metric(b, p.base, "pacer_reconcile_duration_seconds_count")
			// One op is one sync interval, ending with its pass.
			waitPass(passes())
			cpu1, r := procUsage(b, pid)
			cpu += cpu1 - cpu0
			rss = max(rss, float64(r))
			heap = max(heap, metric(b, p.base, "go_memstats_heap_inuse_bytes"))
			passSec += metric(b, p.base, "pacer_reconcile_duration_seconds_sum") - sum0
			passN += metric(b, p.base, "pacer_reconcile_duration_seconds_count") - n0
			if w := rec.len() - writes; w > 0 {
				b.Errorf("%d writes while idle", w)
			}
		}
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(cpu.Milliseconds())/b.Elapsed().Seconds(), "millicores")
		b.ReportMetric(rss/(1<<20), "rss-MB")
		b.ReportMetric(heap/(1<<20), "heap-inuse-MB")
		b.ReportMetric(passSec/passN*1000, "pass-ms")
	})

	round := 0
	b.Run("WebhookToDeployment", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			round++
			i := (round * 7919) % benchApps
			b.StopTimer()
			repo.Push(fmt.Sprintf("scale %d", i), benchSpecs(map[int]int{i: 2}))
			b.StartTimer()
			from := rec.len()
			t0 := time.Now()
			if code := postHook(b, p.base, benchToken); code != http.StatusAccepted {
				b.Fatalf("webhook: %d", code)
			}
			w, ok := rec.waitWrite(b.Context(), from, time.Minute, func(w write) bool {
				return w.path == "/v2/apps"+benchAppID(i) && w.status < 300
			})
			if !ok {
				b.Fatalf("no write of %s after the webhook", benchAppID(i))
			}
			total += w.end.Sub(t0)
			b.StopTimer()
			// Back to one instance, so every round changes one app.
			repo.Push(fmt.Sprintf("unscale %d", i), benchSpecs(nil))
			from = rec.len()
			postHook(b, p.base, benchToken)
			if _, ok := rec.waitWrite(b.Context(), from, time.Minute, func(w write) bool {
				return w.path == "/v2/apps"+benchAppID(i) && w.status < 300
			}); !ok {
				b.Fatalf("no write of %s after the revert", benchAppID(i))
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "webhook-to-deploy-ms")
	})

	b.Run("DriftToHeal", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			round++
			i := (round * 7919) % benchApps
			from := rec.len()
			t0 := time.Now()
			scaleOutOfBand(b, sim, benchAppID(i), 3)
			w, ok := rec.waitWrite(b.Context(), from, time.Minute, func(w write) bool {
				return w.path == "/v2/apps"+benchAppID(i) && w.status < 300
			})
			if !ok {
				b.Fatalf("drift of %s not healed", benchAppID(i))
			}
			total += w.end.Sub(t0)
		}
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "drift-to-heal-ms")
	})
}

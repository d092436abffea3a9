package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// BenchmarkBurst1000Drifts: `pacer run` manages 10,000 apps; 100, then
// 1,000 of them are scaled out of band at once (16 concurrent clients, as a
// script or a panicking operator would). One op is the burst until every
// one is healed; it reports the time to heal all, pacer's CPU during it,
// its peak RSS and heap, and checks that each drifted app was written
// back exactly once (no doubled write, nothing lost) and nothing deleted:
//
//	go test ./e2e -run '^$' -bench Burst1000Drifts -benchtime 2x
func BenchmarkBurst1000Drifts(b *testing.B) {
	sim := startSimTB(b, "--task-start", "10ms")
	rec := newWriteRecorder(b, sim)
	repo := gittest.New(b)
	repo.Push("10k apps", benchSpecs(nil))
	create := exec.CommandContext(b.Context(), bin.pacer, "reconcile", "--specs", filepath.Join(repo.Work, "specs"),
		"--cluster", "ams", "--marathon", sim, "--revision", repo.Head(), "--log-format", "console")
	if out, err := create.CombinedOutput(); err != nil {
		b.Fatalf("pacer reconcile: %v\n%s", err, tail(string(out), 4000))
	}
	// The event stream is cut (a silent stream): with pacer subscribed,
	// marathon-sim renders every deployment event with the whole root group
	// twice and ran out of memory (24 GB) within a burst at 10,000 apps.
	// The heals here come from the interval pass.
	front := newChaosFrontTB(b, rec.proxy(b, "burst"))
	front.setEvents(eventsSilent)
	p := startPacer(b, "burst", nil, "--git-url", repo.URL(), "--git-path", "specs", "--cluster", "ams",
		"--marathon", front.URL, "--sync-interval", "5s")
	poll(b, 5*time.Minute, "10,000 apps synced", func() (bool, error) {
		n := metric(b, p.base, `pacer_apps_sync_status{status="Synced"}`)
		return n == benchApps, fmt.Errorf("%v synced", n)
	})
	round := 0
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchBurst(b, sim, rec, p, &round, n) })
	}
}

// benchBurst runs bursts of n out-of-band changes against p.
func benchBurst(b *testing.B, sim string, rec *writeRecorder, p *pacerProc, round *int, burstDrifts int) {
	pid := p.cmd.Process.Pid
	resetPeak(b, pid)
	b.ResetTimer()
	var heal time.Duration
	var cpu time.Duration
	for b.Loop() {
		*round++
		round := *round
		from := rec.len()
		cpu0, _ := procUsage(b, pid)
		ids := make([]string, burstDrifts)
		for k := range ids {
			ids[k] = benchAppID((k*7919 + round*104729) % benchApps)
		}
		t0 := time.Now()
		burst(b, sim, ids, 2+round%2)
		healed := map[string]int{}
		poll(b, 10*time.Minute, "every drift healed", func() (bool, error) {
			clear(healed)
			for _, w := range rec.writes()[from:] {
				if w.status < 300 {
					healed[strings.TrimPrefix(w.path, "/v2/apps")]++
				}
			}
			return len(healed) >= burstDrifts, fmt.Errorf("%d of %d healed", len(healed), burstDrifts)
		})
		heal += time.Since(t0)
		cpu1, _ := procUsage(b, pid)
		cpu += cpu1 - cpu0
		b.StopTimer()
		for _, id := range ids {
			if healed[id] != 1 {
				b.Errorf("%s written %d times to heal one drift", id, healed[id])
			}
		}
		for _, w := range rec.writes()[from:] {
			if w.method == "DELETE" {
				b.Errorf("DELETE during the burst: %v", w)
			}
		}
		// Let the heals' deployments finish before the next burst.
		poll(b, 5*time.Minute, "synced again", func() (bool, error) {
			n := metric(b, p.base, `pacer_apps_sync_status{status="Synced"}`)
			return n == benchApps, fmt.Errorf("%v synced", n)
		})
		b.StartTimer()
	}
	b.ReportMetric(heal.Seconds()/float64(b.N), "heal-all-s")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(peakRSS64(b, pid))/(1<<20), "peak-rss-MB")
	b.ReportMetric(metric(b, p.base, "go_memstats_heap_inuse_bytes")/(1<<20), "heap-inuse-MB")
}

// burst scales ids to n instances behind pacer's back, 16 at a time.
func burst(tb testing.TB, simURL string, ids []string, n int) {
	tb.Helper()
	work := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for id := range work {
				scaleOutOfBand(tb, simURL, id, n)
			}
		})
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
}

// resetPeak resets the process's peak RSS (VmHWM) to its current RSS.
func resetPeak(tb testing.TB, pid int) {
	tb.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		tb.Logf("cannot reset peak RSS: %v", err)
	}
}

// peakRSS64 is VmHWM in bytes.
func peakRSS64(tb testing.TB, pid int) int64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

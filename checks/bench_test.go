package checks

import (
	"net"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

// BenchmarkProbeRound is one interval's work of the leader at the scale of
// issue 15: 1,000 tcp checks over 10,000 tasks (10 per app), every task a
// real loopback connect, 32 checks at once as the Scheduler runs them. One
// op is the whole round; at a 30 s interval the leader's CPU share is
// (CPU seconds per round) / 30.
func BenchmarkProbeRound(b *testing.B) {
	const apps, perApp = 1000, 10
	var ports []int
	for range perApp {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	checks := make([]specs.Check, apps)
	live := make([]marathon.App, apps)
	for i := range apps {
		id := "/bench/app" + strconv.Itoa(i)
		checks[i] = specs.Check{ID: id + ":tcp", Kind: specs.CheckTCP,
			Probe: &specs.Probe{App: id, Timeout: 5 * time.Second, Critical: specs.Threshold{Percent: 50, Share: true}}}
		live[i] = marathon.App{ID: id}
		for j, p := range ports {
			live[i].Tasks = append(live[i].Tasks, marathon.Task{ID: id + "." + strconv.Itoa(j), State: taskRunning, Host: "127.0.0.1", Ports: []int{p}})
		}
	}
	p := &Prober{Dialer: &net.Dialer{}, Now: time.Now, Parallel: 4}
	b.ReportAllocs()
	var ms runtime.MemStats
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for b.Loop() {
		sem := make(chan struct{}, 32)
		var wg sync.WaitGroup
		for i := range checks {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				if r := p.Probe(b.Context(), &checks[i], live[i]); r.State != OK {
					b.Errorf("%s: %s", checks[i].ID, r.Line())
				}
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	// The CPU includes the listeners' side of every connect (same process).
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapMiB")
}

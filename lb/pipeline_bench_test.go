package lb

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkEventToWritten measures one task health change on a 1,000-app,
// 10,000-task cluster: from the event entering the pipeline to the new
// config renamed into place (debounce 0, so the figure is the pipeline's own
// cost; production adds --debounce-min). The first config is validated by
// the real nginx when it is installed; health changes inside that
// structure take the server-only fast path. The pipeline runs with the
// default --min-reload-interval of 1s, and the clock jumps past it between
// changes: each change arrives when no reload happened recently, the case
// the under-100ms target is about.
func BenchmarkEventToWritten(b *testing.B) {
	apps := benchApps(1000, 10)
	lister := &fakeLister{apps: apps}
	stream := &fakeStream{ch: make(chan Event)}
	dir := b.TempDir()
	sink := &FileSink{Path: filepath.Join(dir, "nginx.conf")}
	if nginx, err := exec.LookPath("nginx"); err == nil {
		sink.Validate = []string{nginx, "-t", "-q", "-p", dir, "-c", FilePlaceholder}
	}
	statuses := make(chan Status, 16)
	clock := &jumpClock{}
	p := &Pipeline{
		Clock: clock, MinReloadInterval: time.Second,
		Source:   &Source{Lister: lister, Events: stream, State: &LiveState{}, Resync: time.Hour},
		Select:   SelectOptions{Flavor: FlavorNixy},
		Health:   NewHealthMemory(time.Minute, time.Now),
		Renderer: NginxRenderer{Options: RenderOptions{ListenHTTP: "127.0.0.1:8080", StreamModule: DetectStreamModule()}},
		Sink:     sink, FastPath: true,
		OnStatus: func(s Status) { statuses <- s },
	}
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if st := <-statuses; st.Err != nil || !st.Validated {
		b.Fatalf("first pass: %+v", st)
	}

	// Task 0 of app 0 (health-checked) flips between unhealthy and healthy.
	id := apps[0].Tasks[0].ID
	lat := make([]time.Duration, 0, b.N)
	fast := 0
	b.ResetTimer()
	for i := range b.N {
		clock.jump(time.Second)
		start := time.Now()
		// Marathon 1.4 names the instance, not the task.
		stream.ch <- healthEv(apps[0].ID, instanceIDOf(id), i%2 == 1)
		st := <-statuses
		lat = append(lat, time.Since(start))
		if st.Err != nil || !st.Changed {
			b.Fatalf("pass %d: %+v", i, st)
		}
		if !st.Validated {
			fast++
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
	b.ReportMetric(float64(fast)/float64(b.N), "fastpath-ratio")
	lister.mu.Lock()
	b.ReportMetric(float64(lister.reads-1)/float64(b.N), "full-reads/op")
	lister.mu.Unlock()
}

// BenchmarkRollingDeployReloads counts the renders (each one write and one
// reload at most) the debounce and the minimum reload interval let through
// while 1,000 tasks are replaced: five events per task (new task staging,
// running, healthy; old task killing, killed), evenly spaced so the deploy
// takes the given time. interval=0s is the behaviour before
// --min-reload-interval; 1s is its default.
func BenchmarkRollingDeployReloads(b *testing.B) {
	const tasks, perTask = 1000, 5
	def := Debounce{Min: 20 * time.Millisecond, Max: time.Second}
	for _, deploy := range []time.Duration{5 * time.Second, 60 * time.Second, 10 * time.Minute} {
		for _, c := range []struct {
			deb      Debounce
			interval time.Duration
		}{{def, 0}, {def, time.Second}, {def, 2 * time.Second}, {Debounce{Min: time.Second, Max: 5 * time.Second}, 0}} {
			b.Run(fmt.Sprintf("deploy=%v/min=%v/max=%v/interval=%v", deploy, c.deb.Min, c.deb.Max, c.interval), func(b *testing.B) {
				var renders int
				for range b.N {
					renders = countRenders(c.deb, c.interval, tasks*perTask, deploy/time.Duration(tasks*perTask))
				}
				b.ReportMetric(float64(renders), "reloads/deploy")
			})
		}
	}
}

// jumpClock is the wall clock moved forward by jump, so a benchmark can
// make "long after the last reload" without waiting for it.
type jumpClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *jumpClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (c *jumpClock) jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// countRenders runs the pipeline's debouncer over n changes spaced by gap.
func countRenders(cfg Debounce, interval time.Duration, n int, gap time.Duration) int {
	d := debouncer{cfg: cfg, interval: interval}
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	renders := 0
	for i := range n {
		next := now.Add(gap)
		d.add(now)
		for {
			fire, wait := d.due(now)
			if fire {
				d.reset()
				d.wrote(now)
				renders++
				break
			}
			if i < n-1 && now.Add(wait).After(next) {
				break
			}
			now = now.Add(wait)
		}
		now = next
	}
	return renders
}

package lb

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkEventToWritten measures one task health change on a 1,000-app,
// 10,000-task cluster: from the event entering the pipeline to the new
// config renamed into place (debounce 0, so the figure is the pipeline's own
// cost; production adds --debounce-min). The first config is validated by
// the real nginx when it is installed; health changes inside that
// structure take the server-only fast path.
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
	p := &Pipeline{
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
		start := time.Now()
		stream.ch <- healthEv(apps[0].ID, id, i%2 == 1)
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
}

// BenchmarkRollingDeployReloads counts the renders (each one write and one
// reload at most) the debounce lets through while 1,000 tasks are replaced:
// five events per task (new task staging, running, healthy; old task
// killing, killed), evenly spaced so the deploy takes the given time.
func BenchmarkRollingDeployReloads(b *testing.B) {
	const tasks, perTask = 1000, 5
	for _, deploy := range []time.Duration{5 * time.Second, 60 * time.Second, 10 * time.Minute} {
		for _, cfg := range []Debounce{{Min: 20 * time.Millisecond, Max: time.Second}, {Min: time.Second, Max: 5 * time.Second}} {
			b.Run(fmt.Sprintf("deploy=%v/min=%v/max=%v", deploy, cfg.Min, cfg.Max), func(b *testing.B) {
				var renders int
				for range b.N {
					renders = countRenders(cfg, tasks*perTask, deploy/time.Duration(tasks*perTask))
				}
				b.ReportMetric(float64(renders), "reloads/deploy")
			})
		}
	}
}

// countRenders runs the pipeline's debouncer over n changes spaced by gap.
func countRenders(cfg Debounce, n int, gap time.Duration) int {
	d := debouncer{cfg: cfg}
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	renders := 0
	for i := range n {
		next := now.Add(gap)
		d.add(now)
		for {
			fire, wait := d.due(now)
			if fire {
				d.reset()
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

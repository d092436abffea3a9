package lb

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
)

// TestProblemsLoggedOnce (issue 12): an app left out of the config is
// logged at error level (visible at pacer's default level, where logr has
// no warning), once per app and reason, not on every pass; a new reason
// is logged again, and the fix once at info.
func TestProblemsLoggedOnce(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, args)
	}, funcr.Options{Verbosity: 0})
	ctx := logr.NewContext(t.Context(), log)

	state := &LiveState{}
	p := &Pipeline{Source: &Source{State: state}, Renderer: HAProxyRenderer{},
		Select: SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"*"}},
		Sink:   &FileSink{Path: filepath.Join(t.TempDir(), "haproxy.cfg")}}
	db := func(bind string, tasks int) marathon.Application {
		var ts []*marathon.Task
		for i := range tasks {
			ts = append(ts, task(i+1))
		}
		return app("/db", withPorts(10001), withLabel("HAPROXY_0_BIND_ADDR", bind), withTasks(ts...))
	}
	web := app("/web", withPorts(10002), withTasks(task(9)))
	for _, step := range []marathon.Application{db("lb.internal", 1), db("lb.internal", 2), db("lb.internal", 3), db("10.0.0.300", 3), db("127.0.0.1", 3)} {
		state.Replace([]marathon.Application{step, web}, nil)
		if _, ok := p.Pass(ctx, time.Time{}); !ok {
			t.Fatal("not rendered")
		}
	}
	var got []string
	mu.Lock()
	for _, l := range lines {
		if strings.Contains(l, "Load balancer problem") {
			level := "info"
			if strings.Contains(l, `"error"=`) {
				level = "error"
			}
			_, msg, _ := strings.Cut(l, `"msg"="`)
			msg, _, _ = strings.Cut(msg, `"`)
			got = append(got, level+" "+msg)
		}
	}
	mu.Unlock()
	want := []string{
		"error Load balancer problem", // lb.internal
		"error Load balancer problem", // 10.0.0.300, a new reason
		"info Load balancer problem resolved",
		"info Load balancer problem resolved",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem log lines over five passes (-want +got):\n%s\nall lines:\n%s", diff, strings.Join(lines, "\n"))
	}
}

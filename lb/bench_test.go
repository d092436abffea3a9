package lb

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gambol99/go-marathon"
)

// benchApps is a cluster of n apps with tasksPer tasks each: a fifth TCP
// (NIXY_PROTOCOL=tcp), half health-checked, every app in the "external"
// group with a vhost for HTTP ones.
func benchApps(n, tasksPer int) []marathon.Application {
	apps := make([]marathon.Application, n)
	for i := range apps {
		id := fmt.Sprintf("/services/svc%d/production/app%d", i/10, i%10)
		opts := []appOpt{withPorts(10000 + i), withLabel("HAPROXY_GROUP", "external")}
		if i%5 == 0 {
			opts = append(opts, withLabel("NIXY_PROTOCOL", "tcp"))
		} else {
			opts = append(opts, withLabel("HAPROXY_0_VHOST", fmt.Sprintf("app%d.svc%d.example.com", i%10, i/10)))
		}
		if i%2 == 0 {
			opts = append(opts, withHealthCheck("TCP"))
		}
		var tasks []*marathon.Task
		for j := range tasksPer {
			tasks = append(tasks, task(j+1, onHost(fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256)),
				ports(20000+j), withTaskID(benchTaskID(id, i*tasksPer+j)), health(true)))
		}
		opts = append(opts, withTasks(tasks...))
		apps[i] = app(id, opts...)
	}
	return apps
}

// benchTaskID is a task id as Marathon 1.4 makes it for app id: the app's
// safe path, ".", a time-based UUID (core/task/Task.scala Task.Id.forRunSpec).
// Its health events name the instance, instanceIDOf(taskID).
func benchTaskID(appID string, n int) string {
	return fmt.Sprintf("%s.%08x-b669-11e6-a48f-0ea4f4b1778c", strings.ReplaceAll(strings.TrimPrefix(appID, "/"), "/", "_"), n)
}

var benchSizes = []struct{ apps, tasksPer int }{{1000, 10}, {10000, 5}}

func BenchmarkBackends(b *testing.B) {
	for _, size := range benchSizes {
		apps := benchApps(size.apps, size.tasksPer)
		for _, flavor := range []Flavor{FlavorNixy, FlavorMarathonLB} {
			b.Run(fmt.Sprintf("%s/apps=%d/tasks=%d", flavor, size.apps, size.apps*size.tasksPer), func(b *testing.B) {
				opts := SelectOptions{Flavor: flavor, Groups: []string{"external"}}
				b.ReportAllocs()
				for b.Loop() {
					Backends(b.Context(), apps, opts, nil)
				}
			})
		}
	}
}

func BenchmarkRenderNginx(b *testing.B) {
	benchRender(b, FlavorNixy, NginxRenderer{Options: RenderOptions{StreamModule: "/usr/lib/nginx/modules/ngx_stream_module.so"}})
}

// BenchmarkRenderNginxDynamic renders with --nginx-api: HTTP upstreams
// balanced by Lua, their server lists as strings.
func BenchmarkRenderNginxDynamic(b *testing.B) {
	benchRender(b, FlavorNixy, NginxRenderer{Options: RenderOptions{StreamModule: "/usr/lib/nginx/modules/ngx_stream_module.so",
		NginxAPI: "unix:/run/nginx-pacer/upstreams.sock", LuaModules: []string{"ndk_http_module.so", "ngx_http_lua_module.so"}}})
}

func BenchmarkRenderHAProxy(b *testing.B) {
	// With a stats socket: the server slots the runtime API fills.
	benchRender(b, FlavorMarathonLB, HAProxyRenderer{Options: RenderOptions{StatsSocket: "/run/haproxy/admin.sock"}})
}

func benchRender(b *testing.B, flavor Flavor, r Renderer) {
	for _, size := range benchSizes {
		apps := benchApps(size.apps, size.tasksPer)
		sel := Backends(b.Context(), apps, SelectOptions{Flavor: flavor, Groups: []string{"external"}}, nil)
		b.Run(fmt.Sprintf("apps=%d/tasks=%d", size.apps, size.apps*size.tasksPer), func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				out, err := r.Render(sel.Backends)
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.ReportMetric(float64(n), "config-bytes")
		})
	}
}

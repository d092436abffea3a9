package lb

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"pacer.dev/pacer/internal/loopback"
)

func TestOffendingLine(t *testing.T) {
	tests := []struct {
		output string
		want   int
	}{
		{`nginx: [emerg] unknown directive "bogus" in /tmp/x/.nginx.conf.draft-123456:42`, 42},
		{"[NOTICE]   (1) : haproxy version is 2.6.12\n[ALERT]    (1) : config : parsing [/tmp/x/.haproxy.cfg.draft-99:117] : 'balance' only supports ...", 117},
		{"[ALERT] config : Fatal errors found in configuration.", 0},
		{"", 0},
	}
	for _, tc := range tests {
		if got := offendingLine(tc.output); got != tc.want {
			t.Errorf("offendingLine(%q) = %d, want %d", tc.output, got, tc.want)
		}
	}
}

// TestLineMap: every line naming a backend maps to its app, in both
// built-in formats; global lines map to none.
func TestLineMap(t *testing.T) {
	backends := []Backend{
		{Name: "shop_web_0", AppID: "/shop/web", Protocol: ProtocolHTTP, Hosts: []string{"web.test"}, ServicePort: 10001,
			Servers: []Server{{TaskID: "w1", Host: "10.0.0.1", Port: 31000}}},
		{Name: "shop_api_0", AppID: "/shop/api", Protocol: ProtocolHTTP, Hosts: []string{"api.test"}, Paths: []string{"/v1"}},
		{Name: "shop_db_0", AppID: "/shop/db", Protocol: ProtocolTCP, ServicePort: 10002,
			Servers: []Server{{TaskID: "d1", Host: "10.0.0.2", Port: 31001}}},
	}
	for _, r := range []MappedRenderer{HAProxyRenderer{}, NginxRenderer{}} {
		cfg, lines, err := r.RenderMapped(backends)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := r.Render(backends)
		if !bytes.Equal(cfg, plain) {
			t.Errorf("%T: RenderMapped and Render differ", r)
		}
		got := map[string]string{}
		for i, l := range strings.Split(string(cfg), "\n") {
			for _, b := range backends {
				if strings.Contains(l, b.Name) {
					if app := lines.AppAt(i + 1); app != b.AppID {
						got[l] = app
					}
				}
			}
		}
		if diff := cmp.Diff(map[string]string{}, got); diff != "" {
			t.Errorf("%T: lines naming a backend mapped to another app (line: app):\n%s", r, diff)
		}
		if app := lines.AppAt(1); app != "" {
			t.Errorf("%T: line 1 maps to %q, want none", r, app)
		}
	}
}

// TestValidationNamesApp: HAProxy refuses an app's line (a balance
// algorithm it does not know); the pipeline's status, error and metrics
// name that app, and the good config keeps its place.
func TestValidationNamesApp(t *testing.T) {
	haproxy := requireBinary(t, "haproxy")
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	state := &LiveState{}
	sink := &FileSink{Path: filepath.Join(dir, "haproxy.cfg"), Validate: []string{haproxy, "-c", "-f", FilePlaceholder}}
	p := &Pipeline{Source: &Source{State: state}, Renderer: HAProxyRenderer{Options: RenderOptions{ListenHTTP: loopback.HostPort("127.0.0.1", loopback.Port(t, "127.0.0.1"))}},
		Sink: sink, Select: SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"*"}}, Metrics: m}
	good := app("/shop/web", withPorts(0), withLabel("HAPROXY_0_VHOST", "web.test"), withTasks(task(1, onHost("10.0.0.1"), ports(31000))))
	bad := app("/shop/broken", withPorts(0), withLabel("HAPROXY_0_VHOST", "broken.test"), withLabel("HAPROXY_0_BALANCE", "bogus"))

	state.Replace([]marathon.Application{good}, nil)
	if st, _ := p.Pass(t.Context(), time.Time{}); st.Err != nil {
		t.Fatalf("good config: %v", st.Err)
	}
	state.Replace([]marathon.Application{bad, good}, nil)
	st, _ := p.Pass(t.Context(), time.Time{})
	if !st.ConfigInvalid || st.InvalidApp != "/shop/broken" {
		t.Fatalf("status %+v, want ConfigInvalid with app /shop/broken", st)
	}
	if !strings.Contains(st.Err.Error(), "app /shop/broken (line ") {
		t.Errorf("error %q does not name the app", st.Err)
	}
	if got := gather(t, reg); !contains(got, `pacer_lb_config_invalid_app{app="/shop/broken"} 1`) {
		t.Errorf("metrics %q lack the invalid app", got)
	}
	state.Replace([]marathon.Application{good}, nil)
	if st, _ := p.Pass(t.Context(), time.Time{}); st.ConfigInvalid {
		t.Fatalf("recovery: %+v", st)
	}
	for _, l := range gather(t, reg) {
		if strings.HasPrefix(l, "pacer_lb_config_invalid_app") {
			t.Errorf("after recovery: %s", l)
		}
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

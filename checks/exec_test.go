package checks

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// pluginDir is where Debian's monitoring-plugins-basic installs the plugins.
const pluginDir = "/usr/lib/nagios/plugins"

func plugin(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(pluginDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s missing: install it with apt-get install monitoring-plugins-basic (make deps)", p)
	}
	return p
}

func python(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 missing: apt-get install python3")
	}
	return p
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return port
}

func ptr(v float64) *float64 { return &v }

// TestCommandNagiosContract runs real plugins (Debian monitoring-plugins
// and a Python script) and the failure modes every check must map to UNKNOWN.
func TestCommandNagiosContract(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	script := filepath.Join("testdata", "check_queue.py")
	queuePerf := []Perf{{Label: "queue depth", Warn: "10", Crit: "100", Min: ptr(0)}, {Label: "it's", Value: 1, UOM: "s"}}
	withValue := func(v float64, extra ...Perf) []Perf {
		p := append([]Perf(nil), queuePerf...)
		p[0].Value = v
		return append(p, extra...)
	}
	tests := []struct {
		name     string
		argv     []string
		timeout  time.Duration
		state    State
		summary  string // prefix
		long     string
		perf     []Perf
		perfOnly []string // labels, when values vary
	}{
		{name: "check_tcp open port", argv: []string{plugin(t, "check_tcp"), "-H", host, "-p", port},
			state: OK, summary: "TCP OK - ", perfOnly: []string{"time"}},
		{name: "check_tcp closed port", argv: []string{plugin(t, "check_tcp"), "-H", "127.0.0.1", "-p", closedPort(t)},
			state: Critical, summary: "connect to address 127.0.0.1 and port "},
		{name: "check_http 200 with body", argv: []string{plugin(t, "check_http"), "-H", host, "-p", port, "-u", "/", "-s", "ok"},
			state: OK, summary: "HTTP OK: HTTP/1.1 200 OK", perfOnly: []string{"time", "size"}},
		{name: "check_http missing body", argv: []string{plugin(t, "check_http"), "-H", host, "-p", port, "-u", "/", "-s", "nope"},
			state: Critical, summary: "HTTP CRITICAL", perfOnly: []string{"time", "size"}},
		{name: "python OK", argv: []string{python(t), script, "3"},
			state: OK, summary: "QUEUE OK - 3 messages waiting", perf: withValue(3)},
		{name: "python WARNING with long output and more perfdata", argv: []string{python(t), script, "42"},
			state: Warning, summary: "QUEUE WARNING - 42 messages waiting", long: "oldest message: 2 minutes",
			perf: withValue(42, Perf{Label: "extra", Value: 3})},
		{name: "python CRITICAL", argv: []string{python(t), script, "500"},
			state: Critical, summary: "QUEUE CRITICAL - 500 messages waiting", long: "oldest message: 12 minutes", perf: withValue(500)},
		// A Python traceback exits 1, which the contract reads as WARNING:
		// scripts must catch their errors and exit 3 themselves.
		{name: "python traceback", argv: []string{python(t), script, "x"},
			state: Warning, summary: "Traceback"},
		{name: "exit code above 3", argv: []string{"sh", "-c", "echo weird; exit 7"},
			state: Unknown, summary: "exit code 7 (not a Nagios state): weird"},
		{name: "timeout kills the process group", argv: []string{"sh", "-c", "sleep 30; echo late"}, timeout: 200 * time.Millisecond,
			state: Unknown, summary: "timed out after 200ms"},
		{name: "command not found", argv: []string{"/nonexistent/check_x"},
			state: Unknown, summary: "run /nonexistent/check_x: "},
		{name: "killed by a signal", argv: []string{"sh", "-c", "kill -9 $$"},
			state: Unknown, summary: "killed by signal killed"},
		{name: "no output", argv: []string{"true"}, state: OK, summary: "(no output)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			start := time.Now()
			r := Command(t.Context(), tc.argv, timeout, time.Now)
			if r.State != tc.state || !strings.HasPrefix(r.Summary, tc.summary) {
				t.Fatalf("got %s %q (long %q), want %s %q…", r.State, r.Summary, r.Long, tc.state, tc.summary)
			}
			if tc.long != "" && r.Long != tc.long {
				t.Errorf("long = %q, want %q", r.Long, tc.long)
			}
			if tc.perf != nil {
				if diff := cmp.Diff(tc.perf, r.Perfdata); diff != "" {
					t.Errorf("perfdata (-want +got):\n%s", diff)
				}
			}
			if tc.perfOnly != nil {
				var labels []string
				for _, p := range r.Perfdata {
					labels = append(labels, p.Label)
				}
				if diff := cmp.Diff(tc.perfOnly, labels, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("perfdata labels (-want +got):\n%s", diff)
				}
			}
			if tc.timeout > 0 && time.Since(start) > 5*time.Second {
				t.Errorf("a timed-out command took %s: its children were not killed", time.Since(start))
			}
		})
	}
}

func TestParsePerfdata(t *testing.T) {
	tests := []struct {
		in   string
		want []Perf
	}{
		{"time=0.001004s;;;0.000000;10.000000 size=553B;;;0;",
			[]Perf{{Label: "time", Value: 0.001004, UOM: "s", Min: ptr(0), Max: ptr(10)}, {Label: "size", Value: 553, UOM: "B", Min: ptr(0)}}},
		{"'a b'=1;2;3 '=x'=5%", []Perf{{Label: "a b", Value: 1, Warn: "2", Crit: "3"}, {Label: "=x", Value: 5, UOM: "%"}}},
		{"load1=0.5;@10:20;~:30", []Perf{{Label: "load1", Value: 0.5, Warn: "@10:20", Crit: "~:30"}}},
		{"bad novalue= x=U ok=-2", []Perf{{Label: "ok", Value: -2}}},
		{"'unterminated=1", nil},
		{"", nil},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, ParsePerfdata(tc.in)); diff != "" {
			t.Errorf("ParsePerfdata(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestResultLine(t *testing.T) {
	r := Result{State: Warning, Summary: "slow", Perfdata: []Perf{{Label: "a b", Value: 1.5, UOM: "s", Warn: "1", Min: ptr(0)}, {Label: "n", Value: 2}}}
	if got, want := r.Line(), "WARNING: slow | 'a b'=1.5s;1;;0 n=2"; got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
	summary, _, perf := ParseOutput(r.Line() + "\n")
	if summary != "WARNING: slow" || len(perf) != 2 || perf[0].Label != "a b" {
		t.Errorf("Line does not parse back: %q %+v", summary, perf)
	}
}

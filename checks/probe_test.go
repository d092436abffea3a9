package checks

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

// taskServer is one task's process: an HTTP server on loopback answering
// status and body.
func taskServer(t *testing.T, status int, body string) int {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// hangingServer accepts connections and never answers.
func hangingServer(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// liveApp is an app whose tasks listen on ports (one port per task, or
// several: each element is a task's ports).
func liveApp(raw string, tasks ...[]int) marathon.App {
	app := marathon.App{ID: "/services/autofill/test/app", Raw: []byte(raw)}
	for i, ports := range tasks {
		app.Tasks = append(app.Tasks, marathon.Task{ID: "app." + strconv.Itoa(i), State: taskRunning, Host: "127.0.0.1", Ports: ports})
	}
	return app
}

func ports(p ...int) []int { return p }

func httpCheck(mod func(*specs.Probe)) *specs.Check {
	p := &specs.Probe{App: "/services/autofill/test/app", Timeout: 2 * time.Second, Scheme: "http", Path: "/health",
		ExpectBody: "OK", Critical: specs.Threshold{Percent: 50, Share: true}}
	if mod != nil {
		mod(p)
	}
	return &specs.Check{ID: "/services/autofill/test:app-http", Kind: specs.CheckHTTP, Probe: p}
}

func TestProbe(t *testing.T) {
	ok1, ok2, ok3 := taskServer(t, 200, "all OK"), taskServer(t, 200, "OK"), taskServer(t, 200, "OK")
	bad, wrongBody := taskServer(t, 503, "down"), taskServer(t, 200, "starting")
	hang := hangingServer(t)
	closed, _ := strconv.Atoi(closedPort(t))
	named := `{"id":"/services/autofill/test/app","portDefinitions":[{"port":0,"name":"admin"},{"port":0,"name":"http"}]}`
	stopped := liveApp("{}", ports(ok1))
	stopped.Tasks[0].State = "TASK_STAGING"
	tests := []struct {
		name    string
		check   *specs.Check
		app     marathon.App
		state   State
		summary string
	}{
		{"all tasks answer", httpCheck(nil), liveApp("{}", ports(ok1), ports(ok2), ports(ok3)), OK, "0 of 3 tasks failing"},
		{"one of three fails: warning", httpCheck(nil), liveApp("{}", ports(ok1), ports(bad), ports(ok3)), Warning,
			"1 of 3 tasks failing: 127.0.0.1:" + strconv.Itoa(bad) + ": status 503"},
		{"two of three fail: more than 50% is critical", httpCheck(nil), liveApp("{}", ports(ok1), ports(bad), ports(wrongBody)), Critical,
			"2 of 3 tasks failing: 127.0.0.1:" + strconv.Itoa(bad) + ": status 503; 127.0.0.1:" + strconv.Itoa(wrongBody) + `: body lacks "OK"`},
		{"half failing is not more than 50%", httpCheck(func(p *specs.Probe) { p.Warning = specs.Threshold{Count: 1} }),
			liveApp("{}", ports(ok1), ports(bad)), OK, "1 of 2 tasks failing: 127.0.0.1:" + strconv.Itoa(bad) + ": status 503"},
		{"expected status list", httpCheck(func(p *specs.Probe) { p.ExpectStatus = []int{503}; p.ExpectBody = "" }),
			liveApp("{}", ports(bad)), OK, "0 of 1 tasks failing"},
		{"port by name", httpCheck(func(p *specs.Probe) { p.PortName = "http" }),
			liveApp(named, ports(bad, ok1), ports(bad, ok2)), OK, "0 of 2 tasks failing"},
		{"unknown port name", httpCheck(func(p *specs.Probe) { p.PortName = "metrics" }),
			liveApp(named, ports(ok1, ok1)), Unknown, `app /services/autofill/test/app has no port named "metrics"`},
		{"port index out of range", httpCheck(func(p *specs.Probe) { p.PortIndex = 1 }),
			liveApp("{}", ports(ok1)), Unknown, "task app.0 of app /services/autofill/test/app has 1 port(s), the check wants port index 1"},
		{"no running task", httpCheck(nil), stopped, Unknown, "app /services/autofill/test/app has no running task to probe"},
		{"timeout", httpCheck(func(p *specs.Probe) { p.Timeout = 200 * time.Millisecond }),
			liveApp("{}", ports(hang)), Critical, "1 of 1 tasks failing: 127.0.0.1:" + strconv.Itoa(hang) + ": timed out after 200ms"},
		{"tcp open", &specs.Check{Kind: specs.CheckTCP, Probe: &specs.Probe{Timeout: time.Second, Critical: specs.Threshold{Count: 0}}},
			liveApp("{}", ports(hang)), OK, "0 of 1 tasks failing"},
		{"tcp refused", &specs.Check{Kind: specs.CheckTCP, Probe: &specs.Probe{Timeout: time.Second, Critical: specs.Threshold{Count: 0}}},
			liveApp("{}", ports(closed)), Critical, "1 of 1 tasks failing: 127.0.0.1:" + strconv.Itoa(closed) + ": dial: connect: connection refused"},
	}
	p := &Prober{HTTP: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		Dialer: &net.Dialer{}, Now: time.Now}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := p.Probe(t.Context(), tc.check, tc.app)
			if r.State != tc.state || r.Summary != tc.summary {
				t.Errorf("got %s %q, want %s %q", r.State, r.Summary, tc.state, tc.summary)
			}
			if want := tc.name == "no running task"; r.Skipped != want {
				t.Errorf("skipped = %t, want %t", r.Skipped, want)
			}
			if tc.state != Unknown && (len(r.Perfdata) != 1 || r.Perfdata[0].Label != "failing" || !strings.HasPrefix(r.Line(), tc.state.String())) {
				t.Errorf("perfdata = %+v", r.Perfdata)
			}
		})
	}
}

func TestAggregateManyFailing(t *testing.T) {
	var targets []Target
	var errs []error
	for i := range 5 {
		targets = append(targets, Target{Addr: "10.0.0." + strconv.Itoa(i) + ":80"})
		errs = append(errs, errTest)
	}
	r := aggregate(&specs.Probe{Critical: specs.Threshold{Percent: 50, Share: true}}, targets, errs)
	if r.State != Critical || !strings.HasSuffix(r.Summary, "10.0.0.2:80: boom; and 2 more") || strings.Count(r.Long, "\n") != 4 {
		t.Errorf("got %s %q long %q", r.State, r.Summary, r.Long)
	}
}

var errTest = errorString("boom")

type errorString string

func (e errorString) Error() string { return string(e) }

// TestProbeURL: an http check with a url (the app's vhost on the load
// balancer) requests that URL once, whatever the tasks.
func TestProbeURL(t *testing.T) {
	ok, bad := taskServer(t, 200, "OK"), taskServer(t, 502, "bad gateway")
	p := &Prober{HTTP: &http.Client{}, Now: time.Now}
	r := &Runner{Prober: p, Now: time.Now, App: func(context.Context, string) (marathon.App, error) {
		t.Error("a url probe read the app")
		return marathon.App{}, nil
	}}
	for _, tc := range []struct {
		port    int
		state   State
		summary string
	}{
		{ok, OK, "0 of 1 tasks failing"},
		{bad, Critical, "1 of 1 tasks failing: http://127.0.0.1:" + strconv.Itoa(bad) + "/health: status 502"},
	} {
		c := httpCheck(func(p *specs.Probe) { p.URL = "http://127.0.0.1:" + strconv.Itoa(tc.port) + "/health"; p.App = "" })
		if got := r.Run(t.Context(), c); got.State != tc.state || got.Summary != tc.summary {
			t.Errorf("got %s %q, want %s %q", got.State, got.Summary, tc.state, tc.summary)
		}
	}
}

// TestStartingTasksAreNotProbed: TASK_RUNNING says a process started, not
// that it listens; a probe aims at a task once Marathon's health checks
// see it alive or their grace period is over, or, for an app without
// health checks, once it has run StartGrace. Probing a starting task paged
// CheckFailed at every deploy (e2e TestCheckProbesAndStaleAgent under load).
func TestStartingTasksAreNotProbed(t *testing.T) {
	now := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	at := func(ago time.Duration) string { return now.Add(-ago).Format(time.RFC3339Nano) }
	const withHC = `{"healthChecks":[{"protocol":"HTTP","gracePeriodSeconds":60}]}`
	const defaultGrace = `{"healthChecks":[{"protocol":"TCP"}]}`
	for _, tc := range []struct {
		name, raw, started string
		alive              bool
		probed             bool
	}{
		{"no health checks, just started", "{}", at(2 * time.Second), false, false},
		{"no health checks, running for a while", "{}", at(StartGrace), false, true},
		{"health checks, not yet alive, within grace", withHC, at(30 * time.Second), false, false},
		{"health checks, alive within grace", withHC, at(30 * time.Second), true, true},
		{"health checks, grace over though not alive", withHC, at(61 * time.Second), false, true},
		{"health check without grace: Marathon's 300 s", defaultGrace, at(200 * time.Second), false, false},
		{"start time unknown", "{}", "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := liveApp(tc.raw, ports(8080))
			app.Tasks[0].StartedAt = tc.started
			if tc.alive {
				app.Tasks[0].HealthCheckResults = []marathon.HealthCheckResult{{Alive: true}}
			}
			got, err := Targets(httpCheck(nil).Probe, app, now)
			if err != nil {
				t.Fatal(err)
			}
			if (len(got) == 1) != tc.probed {
				t.Errorf("targets %v, want probed=%t", got, tc.probed)
			}
		})
	}
}

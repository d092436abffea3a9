package statuspage

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pacer.dev/pacer/status"
)

var update = flag.Bool("update", false, "rewrite golden files")

func newPage(t testing.TB, st status.Cluster, mod func(*Options)) *Page {
	t.Helper()
	o := Options{Status: func() status.Cluster { return st }, Incidents: fixtureIncidents, LB: fixtureLB, Checks: fixtureChecks,
		MarathonURL: "http://marathon-1.ams:8080", Now: now}
	if mod != nil {
		mod(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func get(t testing.TB, h http.Handler, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./statuspage -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file; run go test ./statuspage -update and review the diff.\ngot:\n%s", path, got)
	}
}

func TestPagesGolden(t *testing.T) {
	tests := []struct {
		name, target, golden string
		code                 int
	}{
		{"overview", "/", "overview.html", 200},
		{"only problems in production", "/?env=production&problems=1", "overview-problems.html", 200},
		{"search", "/?q=mongo", "overview-search.html", 200},
		{"app with drift", "/apps/services/autofill/production/mongo", "app-drift.html", 200},
		{"app in a crash loop", "/apps/services/sync/production/api", "app-crashloop.html", 200},
		{"unknown app", "/apps/nope", "app-notfound.html", 404},
		{"revision", "/revision", "revision.html", 200},
	}
	p := newPage(t, fixture(), nil)
	p.Observe(fixture())
	h := p.Handler(nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, h, tc.target)
			if w.Code != tc.code {
				t.Errorf("GET %s = %d, want %d", tc.target, w.Code, tc.code)
			}
			golden(t, tc.golden, w.Body.Bytes())
			if strings.Contains(w.Body.String(), "hunter2") {
				t.Errorf("GET %s shows a secret env value", tc.target)
			}
		})
	}
}

func TestOverviewFiltersAndPaging(t *testing.T) {
	p := newPage(t, bigCluster(1000), func(o *Options) { o.PerPage = 100; o.Incidents = nil })
	h := p.Handler(nil)
	tests := []struct {
		name, target string
		want, dont   []string
	}{
		// 1000 apps: 50 out of sync (i%20), 20 degraded (i%50), 10 both → 60 problems first.
		{"problems first", "/", []string{"60 of 1000 apps need attention", "Apps 1–100 of 1000", "app00000", "app00980", `href="/?page=10"`, `rel="next"`},
			[]string{"app00001<", `rel="prev"`}},
		{"last page", "/?page=10", []string{"Apps 901–1000 of 1000", `rel="prev"`}, []string{`rel="next"`, "Needs attention"}},
		{"page past the end is the last", "/?page=99", []string{"Apps 901–1000 of 1000"}, nil},
		{"environment", "/?env=env3", []string{"Apps 1–100 of 100 matching (of 1000)", "/env3/"}, []string{"/env4/"}},
		// svc10 holds i = 10+50k; out of sync when k is odd, never degraded.
		{"service and problems", "/?service=%2Fservices%2Fsvc10&problems=1",
			[]string{"Apps 1–10 of 10 matching", "app00060<", "app00960<"}, []string{"app00010<", "Healthy and in sync"}},
		{"search", "/?q=APP00123", []string{"Apps 1–1 of 1 matching", "app00123"}, []string{"app00124"}},
		{"nothing matches", "/?q=zzz", []string{"No app matches."}, []string{"<table"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := get(t, h, tc.target).Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("GET %s lacks %q", tc.target, s)
				}
			}
			for _, s := range tc.dont {
				if strings.Contains(body, s) {
					t.Errorf("GET %s shows %q", tc.target, s)
				}
			}
		})
	}
}

func TestHeadersAndReadOnly(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api "+r.URL.Path) })
	h := newPage(t, fixture(), nil).Handler(api)
	for _, target := range []string{"/", "/revision", "/apps/services/sync/production/api", "/assets/live.js"} {
		w := get(t, h, target)
		if w.Code != 200 {
			t.Errorf("GET %s = %d", target, w.Code)
		}
		if got := w.Header().Get("Content-Security-Policy"); got != csp || strings.Contains(got, "unsafe-inline") {
			t.Errorf("GET %s CSP = %q", target, got)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s lacks security headers: %v", target, w.Header())
		}
	}
	body := get(t, h, "/").Body.String()
	if strings.Contains(body, "<script>") || strings.Contains(body, "onclick") || strings.Contains(body, `method="post"`) {
		t.Errorf("overview has inline script or a write:\n%s", body)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(m, "/", nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s / = %d, want 405", m, w.Code)
		}
	}
	if got := get(t, h, "/api/v1/status").Body.String(); got != "api /api/v1/status" {
		t.Errorf("/api/v1/status not handed on: %q", got)
	}
}

func TestAuth(t *testing.T) {
	bearer, err := ParseAuth("bearer s3cret-token\n")
	if err != nil {
		t.Fatal(err)
	}
	basic, err := ParseAuth("basic oncall:pa:ss")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		auth *Auth
		hdr  []string
		want int
	}{
		{"bearer right", bearer, []string{"Authorization", "Bearer s3cret-token"}, 200},
		{"bearer wrong", bearer, []string{"Authorization", "Bearer nope"}, 401},
		{"bearer none", bearer, nil, 401},
		{"basic right", basic, []string{"Authorization", "Basic b25jYWxsOnBhOnNz"}, 200}, // oncall:pa:ss
		{"basic wrong", basic, []string{"Authorization", "Basic b25jYWxsOng="}, 401},     // oncall:x
		{"basic as bearer", basic, []string{"Authorization", "Bearer pa:ss"}, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newPage(t, fixture(), func(o *Options) { o.Auth = tc.auth }).Handler(nil)
			for _, target := range []string{"/", "/events?probe", "/assets/style.css", "/revision"} {
				if target == "/events?probe" && tc.want == 200 {
					continue // a stream does not end; TestEvents covers it
				}
				w := get(t, h, target, tc.hdr...)
				if w.Code != tc.want {
					t.Errorf("GET %s = %d, want %d", target, w.Code, tc.want)
				}
				if tc.want == 401 && (w.Header().Get("WWW-Authenticate") == "" || strings.Contains(w.Body.String(), "s3cret")) {
					t.Errorf("401 for %s: headers %v body %q", target, w.Header(), w.Body.String())
				}
			}
		})
	}
	for _, bad := range []string{"", "bearer", "basic user", "token abc"} {
		if _, err := ParseAuth(bad); err == nil {
			t.Errorf("ParseAuth(%q) accepted", bad)
		}
	}
}

func TestLBOnThePage(t *testing.T) {
	tests := []struct {
		name string
		lb   func() *status.LB
		want []string
		dont []string
	}{
		{"no LB pipeline", nil, nil, []string{"Load balancer:", "LB config", "✗</span> LB:"}},
		{"left out app", fixtureLB, []string{"Load balancer: 2 backends, 15 servers, last run 1m ago; 1 app(s) left out",
			"LB:</span> <small>skipped: no task serves port index 0"}, []string{"LB config refused"}},
		{"refused config", func() *status.LB {
			return &status.LB{At: t0, ConfigInvalid: true, Error: `nginx: [emerg] unknown directive "servr" in /etc/nginx/nginx.conf:12`}
		}, []string{"✗ LB config refused:</b> nginx: [emerg] unknown directive &#34;servr&#34; in /etc/nginx/nginx.conf:12. The last good config keeps serving."}, nil},
		{"failed reload", func() *status.LB { return &status.LB{At: t0, ReloadFailed: true, Error: "reload: exit status 1"} },
			[]string{"✗ LB reload failed:</b> reload: exit status 1. Retrying."}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newPage(t, fixture(), func(o *Options) { o.LB = tc.lb }).Handler(nil)
			body := get(t, h, "/").Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("overview lacks %q", s)
				}
			}
			for _, s := range tc.dont {
				if strings.Contains(body, s) {
					t.Errorf("overview shows %q", s)
				}
			}
		})
	}
}

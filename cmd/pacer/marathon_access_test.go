package main

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim"
)

// tlsSim is the simulator behind TLS and basic auth (alice:s3cret) or a
// DC/OS token (tok-123), as a Marathon started with --http_credentials or
// behind DC/OS's admin router, with an internal CA.
type tlsSim struct {
	url, caFile string
	hits        atomic.Int32
	streams     atomic.Int32 // authorized /v2/events subscriptions
}

func startTLSSim(t *testing.T) *tlsSim {
	t.Helper()
	sim, err := marathonsim.New(marathonsim.Options{TaskStart: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s := &tlsSim{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if u, p, ok := r.BasicAuth(); (!ok || u != "alice" || p != "s3cret") && r.Header.Get("Authorization") != "token=tok-123" {
			w.Header().Set("WWW-Authenticate", `Basic realm="marathon"`)
			http.Error(w, `{"message":"invalid username or password."}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/v2/events" {
			s.streams.Add(1)
		}
		sim.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(func() {
		srv.Close()
		_ = sim.Close()
	})
	s.url = srv.URL
	s.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(s.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

func secretFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// clusterWith is a Cluster spec for cluster t with extra lines under
// spec.marathon.
func clusterWith(url, marathonExtra string) string {
	return "apiVersion: pacer.dev/v1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  marathon:\n    urls: [\"" + url + "\"]\n" + marathonExtra
}

func TestMarathonAccessFlags(t *testing.T) {
	sim := startTLSSim(t)
	good := secretFile(t, "alice:s3cret\n")
	wrong := secretFile(t, "alice:hunter2\n")
	group := serviceGroup("shop", []string{"api"}, "")
	for _, tc := range []struct {
		name     string
		cluster  string // spec.marathon extra lines
		args     []string
		env      map[string]string
		wantCode int
		wantErr  string // substring of stderr
		wantHits int32  // requests that reached the server; -1: do not check
	}{
		{name: "basic auth file and CA file", args: []string{"--marathon-basic-auth-file", good, "--marathon-ca-file", sim.caFile},
			wantCode: exitOK, wantHits: 1},
		{name: "token file", args: []string{"--marathon-token-file", secretFile(t, "tok-123\n"), "--marathon-ca-file", sim.caFile},
			wantCode: exitOK, wantHits: 1},
		{name: "token from env", env: map[string]string{"PACER_MARATHON_TOKEN": "tok-123"}, args: []string{"--marathon-ca-file", sim.caFile},
			wantCode: exitOK, wantHits: 1},
		{name: "basic auth from env, CA from env", env: map[string]string{"PACER_MARATHON_BASIC_AUTH": "alice:s3cret", "PACER_MARATHON_CA_FILE": sim.caFile},
			wantCode: exitOK, wantHits: 1},
		{name: "basic auth named in the Cluster spec", cluster: "    basicAuth: {fromEnv: SHOP_MARATHON_AUTH}\n",
			env: map[string]string{"SHOP_MARATHON_AUTH": "alice:s3cret"}, args: []string{"--marathon-ca-file", sim.caFile}, wantCode: exitOK, wantHits: 1},
		{name: "flag beats the spec", cluster: "    basicAuth: {fromEnv: SHOP_MARATHON_AUTH}\n",
			env:  map[string]string{"SHOP_MARATHON_AUTH": "alice:hunter2"},
			args: []string{"--marathon-basic-auth-file", good, "--marathon-ca-file", sim.caFile}, wantCode: exitOK, wantHits: 1},
		{name: "wrong password", args: []string{"--marathon-basic-auth-file", wrong, "--marathon-ca-file", sim.caFile, "--retries", "4"},
			wantCode: exitError, wantErr: "answered 401 Unauthorized: it refused the basic auth as alice (password redacted)", wantHits: 1},
		{name: "unknown CA", args: []string{"--marathon-basic-auth-file", good, "--retries", "4"},
			wantCode: exitError, wantErr: "TLS certificate not trusted: tls: failed to verify certificate: x509: certificate signed by unknown authority; give the CA bundle that signs it with --marathon-ca-file", wantHits: 0},
		{name: "insecure skip verify", args: []string{"--marathon-basic-auth-file", good, "--insecure-skip-tls-verify"},
			wantCode: exitOK, wantHits: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"PACER_MARATHON_BASIC_AUTH", "PACER_MARATHON_TOKEN", "PACER_MARATHON_CA_FILE", "PACER_MARATHON_TIMEOUT", "SHOP_MARATHON_AUTH"} {
				t.Setenv(k, tc.env[k])
			}
			dir := specTree(t, map[string]string{"clusters.yaml": clusterWith(sim.url, tc.cluster), "services/shop.yaml": group})
			sim.hits.Store(0)
			r := runCLI(t, append([]string{"status", "--specs", dir, "--cluster", "t"}, tc.args...)...)
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.wantCode, r.stdout, r.stderr)
			}
			if tc.wantErr != "" && !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", r.stderr, tc.wantErr)
			}
			for _, secret := range []string{"s3cret", "hunter2", "tok-123"} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("output leaks %q:\n%s\n%s", secret, r.stdout, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "retrying") {
				t.Errorf("retried a request that cannot succeed:\n%s", r.stderr)
			}
			if got := sim.hits.Load(); tc.wantHits >= 0 && got != tc.wantHits {
				t.Errorf("requests reaching Marathon = %d, want %d (no retry storm)", got, tc.wantHits)
			}
		})
	}
}

func TestMarathonTimeoutAndRetryProgress(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	sim := startSim(t)
	group := serviceGroup("shop", []string{"api"}, "")
	for _, tc := range []struct {
		name     string
		cluster  string
		args     []string
		env      map[string]string
		wantCode int
		want     []string // lines or substrings of stderr
	}{
		{name: "flag timeout", args: []string{"--marathon", hang.URL, "--marathon-timeout", "150ms", "--retries", "0"},
			wantCode: exitError, want: []string{"no answer within 150ms from " + hang.URL}},
		{name: "env timeout", args: []string{"--marathon", hang.URL, "--retries", "0"}, env: map[string]string{"PACER_MARATHON_TIMEOUT": "120ms"},
			wantCode: exitError, want: []string{"no answer within 120ms from " + hang.URL}},
		{name: "spec timeout", cluster: "    timeout: 130ms\n", args: []string{"--retries", "0"},
			wantCode: exitError, want: []string{"no answer within 130ms from " + hang.URL}},
		{name: "flag beats env and spec", cluster: "    timeout: 10m\n", args: []string{"--marathon-timeout", "110ms", "--retries", "0"},
			env: map[string]string{"PACER_MARATHON_TIMEOUT": "5m"}, wantCode: exitError, want: []string{"no answer within 110ms from " + hang.URL}},
		{name: "retries printed as progress", args: []string{"--marathon", deadURL + "," + sim, "--retries", "1"},
			wantCode: exitOK, want: []string{"retrying GET /v2/apps on " + sim + " (1/3): " + deadURL + ": connection refused\n"}},
		{name: "a retry after backoff", args: []string{"--marathon", deadURL, "--retries", "1"},
			wantCode: exitError, want: []string{"retrying GET /v2/apps on " + deadURL + " (1/1) in 500ms: connection refused\n",
				"marathon unavailable: GET /v2/apps: " + deadURL + ": dial tcp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PACER_MARATHON_TIMEOUT", tc.env["PACER_MARATHON_TIMEOUT"])
			dir := specTree(t, map[string]string{"clusters.yaml": clusterWith(hang.URL, tc.cluster), "services/shop.yaml": group})
			for _, cmd := range []string{"status", "diff"} {
				r := runCLI(t, append([]string{cmd, "--specs", dir, "--cluster", "t"}, tc.args...)...)
				if r.code != tc.wantCode {
					t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", cmd, r.code, tc.wantCode, r.stdout, r.stderr)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("%s: stderr %q, want it to contain %q", cmd, r.stderr, w)
					}
				}
			}
		})
	}
}

func TestMarathonURLWithoutScheme(t *testing.T) {
	for _, cmd := range []string{"diff", "status", "run", "lb"} {
		r := runCLI(t, cmd, "--marathon", "marathon-1:8080", "--cluster", "t", "--specs", t.TempDir())
		want := "error: --marathon: marathon-1:8080 has no scheme; use http://marathon-1:8080\n"
		if r.code != exitError || r.stderr != want {
			t.Errorf("%s: exit %d, stderr %q; want 1, %q", cmd, r.code, r.stderr, want)
		}
	}
}

// TestRunUsesClusterSpecAccess: without --marathon, `pacer run` reaches a
// TLS Marathon with basic auth named in the Cluster spec, writes through it
// and keeps its event stream (credentials on every call).
func TestRunUsesClusterSpecAccess(t *testing.T) {
	sim := startTLSSim(t)
	t.Setenv("SHOP_MARATHON_AUTH", "alice:s3cret")
	dir := specTree(t, map[string]string{
		"clusters.yaml":      clusterWith(sim.url, "    basicAuth: {fromEnv: SHOP_MARATHON_AUTH}\n    timeout: 20s\n"),
		"services/shop.yaml": serviceGroup("shop", []string{"api"}, ""),
	})
	p := startPacer(t, "--specs", dir, "--cluster", "t", "--listen", "127.0.0.1:0", "--retries", "0",
		"--log-format", "console", "--shutdown-timeout", "5s", "--marathon-ca-file", sim.caFile)
	eventually(t, 30*time.Second, "app created and in sync", func() (bool, string) {
		st, err := getStatus(t, p.base)
		if err != nil {
			return false, err.Error()
		}
		a, ok := appStatus(st, "/services/shop/production/api")
		return ok && a.Sync == "Synced" && st.MarathonError == "" && sim.streams.Load() > 0, p.stderr.String()
	})
	if strings.Contains(p.stderr.String(), "s3cret") {
		t.Errorf("the password reached the log:\n%s", p.stderr.String())
	}
	// Not a bare "401": the temp dir in the log may contain those digits.
	if out := p.stderr.String(); strings.Contains(out, "401 Unauthorized") || strings.Contains(out, "403 Forbidden") {
		t.Errorf("some call went without credentials:\n%s", p.stderr.String())
	}
}

// TestRunLogsRetries: `pacer run` at the default log level shows every
// retry with the URL and the reason.
func TestRunLogsRetries(t *testing.T) {
	simURL := newOperatorSim(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	dir := specTree(t, map[string]string{"clusters.yaml": testCluster, "services/shop.yaml": serviceGroup("shop", []string{"api"}, "")})
	p := startPacer(t, "--specs", dir, "--cluster", "t", "--marathon", deadURL+","+simURL, "--listen", "127.0.0.1:0",
		"--retries", "0", "--log-format", "json", "--shutdown-timeout", "5s")
	eventually(t, 10*time.Second, "a retry logged", func() (bool, string) {
		for _, line := range strings.Split(p.stderr.String(), "\n") {
			if strings.Contains(line, `"msg":"Retrying Marathon request"`) && strings.Contains(line, `"level":"info"`) &&
				strings.Contains(line, `"failedURL":"`+deadURL+`"`) && strings.Contains(line, `"url":"`+simURL+`"`) &&
				strings.Contains(line, `"reason":"connection refused"`) {
				return true, ""
			}
		}
		return false, p.stderr.String()
	})
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/lb"
)

// TestRunLBOptions: pacer run's --lb-* flags build the pipeline as pacer
// lb's do: the HAProxy runtime API with --lb-stats-socket, nginx's upstream
// API with --lb-nginx-api (and host names resolved for either), the HTTP
// and service addresses from --lb-listen-http and --lb-bind.
func TestRunLBOptions(t *testing.T) {
	client, err := marathon.New(marathon.Options{URLs: []string{"http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The upstream API socket's directory is for nginx and pacer only.
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		o           runLBOptions
		wantRuntime bool
		wantListen  string
	}{
		{"nginx with an upstream API", testRunLB(func(c *lb.Config) {
			c.NginxAPI, c.ListenHTTP = "unix:"+filepath.Join(dir, "n.sock"), "127.0.0.9:8083"
		}), true, "listen unix:" + filepath.Join(dir, "n.sock")},
		{"haproxy with a stats socket", testRunLB(func(c *lb.Config) {
			c.Format, c.Groups, c.StatsSocket, c.ListenHTTP, c.Bind = "haproxy", []string{"*"}, filepath.Join(dir, "h.sock"), "127.0.0.9:8080", "127.0.0.9"
		}), true, "127.0.0.9:8080"},
		{"haproxy without a socket", testRunLB(func(c *lb.Config) {
			c.Format, c.Groups, c.ListenHTTP = "haproxy", []string{"*"}, "127.0.0.9:8081"
		}), false, "127.0.0.9:8081"},
		{"nginx", testRunLB(func(c *lb.Config) { c.StatsSocket, c.ListenHTTP = filepath.Join(dir, "h.sock"), "127.0.0.9:8082" }), false, "127.0.0.9:8082"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Out = filepath.Join(dir, tc.o.Format+".cfg")
			p, err := tc.o.pipeline(client, nil, prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Runtime != nil; got != tc.wantRuntime {
				t.Errorf("runtime API = %v, want %v", got, tc.wantRuntime)
			}
			if got := p.Resolver != nil; got != tc.wantRuntime {
				t.Errorf("host name resolver = %v, want it with a runtime API (%v)", got, tc.wantRuntime)
			}
			cfg, err := p.Renderer.Render(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(cfg), tc.wantListen) {
				t.Errorf("config does not listen on %s:\n%s", tc.wantListen, cfg)
			}
		})
	}
}

// testRunLB is pacer run's --lb-* options at their defaults, changed by set.
func testRunLB(set func(*lb.Config)) runLBOptions {
	c := lb.DefaultConfig()
	set(&c)
	return runLBOptions{Config: c}
}

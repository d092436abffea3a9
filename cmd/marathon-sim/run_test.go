package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/internal/buildinfo"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--capacity", "cpus=4,mem=1024", "--task-start", "10ms",
			"--framework-id", "fra-0000", "--zk", "zk://zk-1.fra:2181/marathon"}, &stdout, &stderr)
	}()
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed; stderr: %s", stderr.String())
		}
		if line, _, ok := strings.Cut(stdout.String(), "\n"); ok {
			url = line
		}
		runtime.Gosched()
	}
	resp, err := http.Get(url + "/ping")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "pong" {
		t.Errorf("GET /ping = %d %q", resp.StatusCode, body)
	}
	resp, err = http.Get(url + "/v2/info")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"frameworkId":"fra-0000"`) || !strings.Contains(string(body), `"zk":"zk://zk-1.fra:2181/marathon"`) {
		t.Errorf("GET /v2/info = %s; want the --framework-id and --zk given", body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d; stderr: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
}

func TestParseCapacity(t *testing.T) {
	tests := []struct {
		in       string
		cpus, mb float64
		bad      bool
	}{
		{"", 0, 0, false},
		{"cpus=8,mem=4096", 8, 4096, false},
		{"mem=512", 0, 512, false},
		{"cpus=x", 0, 0, true},
		{"disk=3", 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			c, m, err := parseCapacity(tc.in)
			if (err != nil) != tc.bad || c != tc.cpus || m != tc.mb {
				t.Errorf("parseCapacity(%q) = %v, %v, %v", tc.in, c, m, err)
			}
		})
	}
}

func TestBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"--executor", "docker"}, &out, &errb); code != 2 {
		t.Errorf("unknown executor: exit %d, want 2", code)
	}
}

// TestVersion: --version prints the binary's build information (the test
// binary has no VCS stamp, so the commit is unknown) and serves nothing.
func TestVersion(t *testing.T) {
	want := buildinfo.Read("marathon-sim")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"text", []string{"--version"}, want.String() + "\n"},
		{"json", []string{"--version", "-o", "json"}, mustFormat(t, want, "json")},
		{"yaml", []string{"--version", "-o", "yaml"}, mustFormat(t, want, "yaml")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), tc.args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if stdout.String() != tc.want {
				t.Errorf("stdout = %q, want %q", stdout.String(), tc.want)
			}
			if !strings.HasPrefix(stdout.String(), "marathon-sim ") && tc.name == "text" {
				t.Errorf("text does not name the program: %q", stdout.String())
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"--version", "-o", "xml"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown output format "xml"`) {
		t.Errorf("-o xml: exit %d, stderr %q", code, stderr.String())
	}
}

func mustFormat(t *testing.T, in buildinfo.Info, format string) string {
	t.Helper()
	var b bytes.Buffer
	if err := in.Write(&b, format); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRunServesTheAgentAPI(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--executor", "process", "--agent-listen", addr, "--sandbox-dir", t.TempDir()}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond) // polls a real server
	defer tick.Stop()
	var body []byte
	for {
		resp, err := http.Get("http://" + addr + "/state")
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent /state not served: %v; stderr: %s", err, stderr.String())
		}
		<-tick.C
	}
	if !strings.Contains(string(body), `"id":"sim-agent-S0"`) {
		t.Errorf("/state = %s", body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d; stderr: %s", code, stderr.String())
	}
}

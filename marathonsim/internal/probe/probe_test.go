package probe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func statusServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		if code >= 300 && code < 400 {
			w.Header().Set("Location", "/status/500") // must not be followed
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(strings.Repeat("x", 10<<10)))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" || r.Method != http.MethodGet {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPStatus(t *testing.T) {
	srv := statusServer(t)
	addr := srv.Listener.Addr().String()
	tests := []struct {
		path    string
		healthy bool
	}{
		{"", true},
		{"/", true},
		{"/status/200", true},
		{"status/204", true},
		{"/status/301", true},
		{"/status/302", true},
		{"/status/399", true},
		{"/status/400", false},
		{"/status/404", false},
		{"/status/500", false},
		{"/status/503", false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			err := HTTP(t.Context(), addr, tc.path)
			if tc.healthy {
				if err != nil {
					t.Errorf("HTTP(%q) = %v, want healthy", tc.path, err)
				}
				return
			}
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("HTTP(%q) = %v, want *StatusError", tc.path, err)
			}
			code := strings.TrimPrefix(tc.path, "/status/")
			if strconv.Itoa(se.StatusCode) != code || !strings.Contains(err.Error(), "status "+code) {
				t.Errorf("error %q does not name status %s", err, code)
			}
		})
	}
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := HTTP(ctx, srv.Listener.Addr().String(), "/health")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("HTTP on a hanging server = %v, want deadline exceeded", err)
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	addr := closedAddr(t)
	err := HTTP(t.Context(), addr, "/")
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("HTTP on closed port = %v, want an error naming %s", err, addr)
	}
}

func TestTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan struct{})
	go func() {
		if c, err := l.Accept(); err == nil {
			c.Close()
			close(accepted)
		}
	}()
	if err := TCP(t.Context(), l.Addr().String()); err != nil {
		t.Errorf("TCP on a listener = %v", err)
	}
	<-accepted

	addr := closedAddr(t)
	if err := TCP(t.Context(), addr); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("TCP on a closed port = %v, want an error naming %s", err, addr)
	}
}

func TestTCPCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := TCP(ctx, "127.0.0.1:9"); !errors.Is(err, context.Canceled) {
		t.Errorf("TCP with a cancelled context = %v", err)
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

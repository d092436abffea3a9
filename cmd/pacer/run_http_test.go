package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/httpserve"
	"pacer.dev/pacer/lb"
)

// rawConn is one keep-alive HTTP/1.1 connection driven by hand, to see
// what the server does with it (internal/httpserve tests the mechanisms;
// these tests check that the commands use them).
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawConn{c: c, br: bufio.NewReader(c)}
}

// get sends GET path and reports whether a 200 came within d.
func (r *rawConn) get(t *testing.T, path string, d time.Duration) bool {
	t.Helper()
	if _, err := io.WriteString(r.c, "GET "+path+" HTTP/1.1\r\nHost: pacer\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return r.answered(t, d)
}

func (r *rawConn) answered(t *testing.T, d time.Duration) bool {
	t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(r.br, nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == 200
}

// closedByServer waits up to d for the server to close the connection.
func (r *rawConn) closedByServer(d time.Duration) bool {
	_ = r.c.SetReadDeadline(time.Now().Add(d))
	_, err := r.br.ReadByte()
	return errors.Is(err, io.EOF)
}

// checkLimits drives a server configured with a cap of 2 connections and a
// short idle timeout: a third connection waits, the idle ones are closed,
// and then the third is served.
func checkLimits(t *testing.T, addr, path string) {
	t.Helper()
	admitted := []*rawConn{dialRaw(t, addr), dialRaw(t, addr)}
	for i, c := range admitted {
		if !c.get(t, path, 10*time.Second) {
			t.Fatalf("admitted connection %d: no answer", i)
		}
	}
	waiting := dialRaw(t, addr)
	if waiting.get(t, path, 200*time.Millisecond) {
		t.Fatal("a third connection was served with a cap of 2")
	}
	for i, c := range admitted {
		if !c.closedByServer(20 * time.Second) {
			t.Fatalf("idle connection %d was not closed by the server", i)
		}
	}
	if !waiting.answered(t, 10*time.Second) {
		t.Fatal("the waiting connection was not served once the idle ones were closed")
	}
}

func TestRunHTTPLimits(t *testing.T) {
	simURL := newOperatorSim(t)
	dir := specTree(t, map[string]string{"clusters.yaml": testCluster, "services/shop.yaml": serviceGroup("shop", []string{"api"}, "")})
	p := startPacer(t, "--specs", dir, "--cluster", "t", "--marathon", simURL, "--listen", "127.0.0.1:0", "--retries", "0",
		"--log-format", "console", "--shutdown-timeout", "5s", "--http-idle-timeout", "400ms", "--http-max-conns", "2")
	checkLimits(t, strings.TrimPrefix(p.base, "http://"), "/healthz")
}

func TestLBMetricsHTTPLimits(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	stop, err := serveLBMetrics(t.Context(), addr, httpserve.Options{IdleTimeout: 400 * time.Millisecond, MaxConns: 2}, &lb.Pipeline{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	checkLimits(t, addr, "/metrics")
}

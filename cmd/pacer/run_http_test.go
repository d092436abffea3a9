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
)

// TestRunHTTPLimits checks that `pacer run` serves its endpoints with the
// idle timeout and connection cap of its flags (internal/httpserve tests
// the mechanisms themselves).
func TestRunHTTPLimits(t *testing.T) {
	simURL := newOperatorSim(t)
	dir := specTree(t, map[string]string{"clusters.yaml": testCluster, "services/shop.yaml": serviceGroup("shop", []string{"api"}, "")})
	p := startPacer(t, "--specs", dir, "--cluster", "t", "--marathon", simURL, "--listen", "127.0.0.1:0", "--retries", "0",
		"--log-format", "console", "--shutdown-timeout", "5s", "--http-idle-timeout", "400ms", "--http-max-conns", "2")
	addr := strings.TrimPrefix(p.base, "http://")

	get := func(c net.Conn, br *bufio.Reader, within time.Duration) (bool, error) {
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: pacer\r\n\r\n"); err != nil {
			return false, err
		}
		_ = c.SetReadDeadline(time.Now().Add(within))
		resp, err := http.ReadResponse(br, nil)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == 200, nil
	}
	var conns []net.Conn
	var readers []*bufio.Reader
	for i := range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		conns, readers = append(conns, c), append(readers, bufio.NewReader(c))
		wait := 10 * time.Second
		if i == 2 {
			wait = 200 * time.Millisecond
		}
		ok, err := get(c, readers[i], wait)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if ok != (i < 2) {
			t.Fatalf("connection %d answered %v with --http-max-conns 2", i, ok)
		}
	}
	// The two admitted connections go idle and are closed by pacer, which
	// lets the third one in.
	for i := range 2 {
		_ = conns[i].SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := readers[i].ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("idle connection %d: %v, want closed by pacer (--http-idle-timeout 400ms)", i, err)
		}
	}
	_ = conns[2].SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(readers[2], nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("waiting connection after the idle ones closed: %v", err)
	}
	resp.Body.Close()
}

package probe

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// drainLimit bounds how much of a response body is read so the connection
// closes cleanly.
const drainLimit = 4 << 10

// HTTP sends GET http://addr+path and returns nil for a status from 200 to
// 399, otherwise an error naming the status. An empty path means "/".
func HTTP(ctx context.Context, addr, path string) error {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	url := "http://" + addr + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("http health check %s: %w", url, err)
	}
	req.Header.Set("User-Agent", "marathon-sim health check")
	// One connection per check, as Marathon opens one, and no proxy.
	transport := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("http health check %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return &StatusError{URL: url, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	return nil
}

// StatusError is an HTTP check that got an unhealthy status.
type StatusError struct {
	URL        string
	StatusCode int
	Status     string // "503 Service Unavailable"
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("http health check %s: status %s", e.URL, e.Status)
}

// TCP opens and closes a TCP connection to addr.
func TCP(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("tcp health check %s: %w", addr, err)
	}
	return conn.Close()
}

package httpserve

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

func healthz() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux
}

// serve starts a server with opts on a loopback port and returns its address.
func serve(t *testing.T, opts Options) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, ln := New(healthz(), ln, opts)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// client is one keep-alive connection speaking raw HTTP/1.1.
type client struct {
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &client{c: c, br: bufio.NewReader(c)}
}

func (c *client) send(t *testing.T) {
	t.Helper()
	if _, err := io.WriteString(c.c, "GET /healthz HTTP/1.1\r\nHost: pacer\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
}

// answer reads one response within d; it reports false on a timeout.
func (c *client) answer(t *testing.T, d time.Duration) bool {
	t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(c.br, nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("response %d, %v", resp.StatusCode, err)
	}
	return true
}

// closedByServer waits up to d for the server to close the connection.
func (c *client) closedByServer(d time.Duration) bool {
	_ = c.c.SetReadDeadline(time.Now().Add(d))
	_, err := c.br.ReadByte()
	return errors.Is(err, io.EOF)
}

func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	const idle = 300 * time.Millisecond
	addr := serve(t, Options{IdleTimeout: idle})
	clients := make([]*client, 200)
	for i := range clients {
		clients[i] = dial(t, addr)
		clients[i].send(t)
		if !clients[i].answer(t, 10*time.Second) {
			t.Fatalf("client %d: no answer", i)
		}
	}
	start := time.Now()
	for i, c := range clients {
		// Without an IdleTimeout the server holds them open for ever.
		if !c.closedByServer(20 * time.Second) {
			t.Fatalf("idle keep-alive connection %d still open %s after its last request (idle timeout %s)", i, time.Since(start), idle)
		}
	}
	t.Logf("200 idle connections closed within %s of the last answer (idle timeout %s)", time.Since(start), idle)
}

func TestConnectionCap(t *testing.T) {
	addr := serve(t, Options{MaxConns: 3, IdleTimeout: time.Minute})
	admitted := make([]*client, 3)
	for i := range admitted {
		admitted[i] = dial(t, addr)
		admitted[i].send(t)
		if !admitted[i].answer(t, 10*time.Second) {
			t.Fatalf("admitted client %d: no answer", i)
		}
	}
	extra := dial(t, addr) // the kernel completes the handshake; the server does not read it
	extra.send(t)
	if extra.answer(t, 300*time.Millisecond) {
		t.Fatal("a 4th connection was served with the cap at 3")
	}
	// An admitted client still gets /healthz answered.
	admitted[0].send(t)
	if !admitted[0].answer(t, 10*time.Second) {
		t.Fatal("an admitted client got no /healthz answer while the cap was reached")
	}
	// A freed slot lets the waiting connection in.
	_ = admitted[1].c.Close()
	if !extra.answer(t, 10*time.Second) {
		t.Fatal("the waiting connection was not served after a slot freed up")
	}
}

func TestLimitListenerClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LimitListener(ln, 1)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			defer c.Close()
		}
	}()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	errc := make(chan error, 1)
	go func() { _, err := l.Accept(); errc <- err }() // waits for the slot
	_ = l.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept waiting for a slot did not return after Close")
	}
}

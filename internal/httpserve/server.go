package httpserve

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 30 * time.Second
	DefaultMaxConns          = 256
)

// Options bound a server. Zero values take the defaults.
type Options struct {
	// ReadHeaderTimeout cuts a client that is slow to send its headers
	// (and one that connects and sends nothing).
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sent no new request
	// for this long.
	IdleTimeout time.Duration
	// MaxConns caps the connections served at once; further ones wait in
	// the listen backlog until a slot frees up. Negative means no cap.
	MaxConns int
}

func (o Options) withDefaults() Options {
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	return o
}

// New returns a server for h with the limits of opts, and the listener
// to pass to its Serve: ln itself, or ln behind the connection cap.
func New(h http.Handler, ln net.Listener, opts Options) (*http.Server, net.Listener) {
	opts = opts.withDefaults()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	if opts.MaxConns > 0 {
		ln = LimitListener(ln, opts.MaxConns)
	}
	return srv, ln
}

// LimitListener accepts at most n connections at once: Accept waits until
// an accepted connection is closed. Connections beyond n stay in the
// kernel's backlog, unread, rather than being served.
func LimitListener(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	sem       chan struct{}
	closeOnce sync.Once
	done      chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

package marathonsim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Stand-in knobs an app can set (see the package documentation).
const (
	labelSimFail    = "pacer.dev/sim-fail"    // "true": the stand-in exits 1 at once
	labelSimStandIn = "pacer.dev/sim-standin" // "false": run the cmd of a Docker app locally
	envSimFail      = "SIM_FAIL"              // "1": as labelSimFail
	envSimDrain     = "SIM_DRAIN"             // Go duration: serving time after SIGTERM

	// defaultStandInDrain is how long a stand-in keeps serving after SIGTERM.
	defaultStandInDrain = time.Second
	// sniffTimeout is how long a stand-in waits for the first bytes of a
	// TCP connection to tell HTTP from a raw client.
	sniffTimeout = 500 * time.Millisecond
)

// httpMethods start an HTTP/1.x request line (and "PRI " an h2c preface).
var httpMethods = []string{"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ", "PRI "}

// usesStandIn tells whether the process executor runs a stand-in for a:
// it has a container with a Docker image (whose cmd or args would run
// inside that image, which cannot run here) unless labelled
// pacer.dev/sim-standin: "false", or a container and no cmd or args.
func usesStandIn(a *App) bool {
	if isNull(a.Container) {
		return false
	}
	if containerImage(a.Container) != "" && a.Labels[labelSimStandIn] != "false" {
		return true
	}
	return deref(a.Cmd, "") == "" && len(a.Args) == 0
}

// containerImage returns container.docker.image, or "".
func containerImage(c json.RawMessage) string {
	var ct struct {
		Docker struct {
			Image string `json:"image"`
		} `json:"docker"`
	}
	if json.Unmarshal(c, &ct) != nil {
		return ""
	}
	return ct.Docker.Image
}

// portProtocols returns the protocol ("tcp", "udp" or "tcp,udp") of each
// of the app's ports, from the container's port mappings or portDefinitions.
func portProtocols(a *App, n int) []string {
	out := make([]string, n)
	pms := containerPortMappings(a.Container)
	for i := range out {
		out[i] = "tcp"
		switch {
		case len(pms) > 0:
			// The mappings are the app's ports (AppDefinition.hostPorts);
			// Marathon's portDefinitions of a BRIDGE app are all tcp.
			if i < len(pms) {
				if p, _ := pms[i]["protocol"].(string); p != "" {
					out[i] = p
				}
			}
		case i < len(a.PortDefinitions):
			out[i] = a.PortDefinitions[i].Protocol
		}
	}
	return out
}

// standInCmd is the shell command of a stand-in task: the process whose
// life is the task's. It idles until SIGTERM, then exits 0 after the drain
// (the stand-in's listeners stay open until it has exited), or with fail
// exits 1 at once.
func standInCmd(fail bool, drain time.Duration, image string) string {
	if fail {
		return `echo "stand-in: failing as asked (pacer.dev/sim-fail)" >&2; exit 1`
	}
	secs := strconv.FormatFloat(drain.Seconds(), 'f', 3, 64)
	// The lines land in the task's sandbox stdout, read by pacer logs.
	return `echo "stand-in for $MARATHON_APP_ID ($MESOS_TASK_ID): image" ` + shellJoin([]string{image}) + ` "on ports ${PORTS:-none}"; ` +
		`trap 'echo "stand-in: SIGTERM, exiting 0 in ` + secs + `s"; sleep ` + secs + `; exit 0' TERM; while :; do sleep 3600 & wait $!; done`
}

// standInOptions reads the fail and drain knobs of a task's app.
func (s *Server) standInOptions(a *App, env map[string]string) (fail bool, drain time.Duration, err error) {
	fail = a.Labels[labelSimFail] == "true" || env[envSimFail] == "1"
	drain = s.opts.StandInDrain
	if v, ok := env[envSimDrain]; ok {
		d, perr := time.ParseDuration(v)
		if perr != nil || d < 0 {
			return false, 0, fmt.Errorf("bad %s %q: want a duration like 2s", envSimDrain, v)
		}
		drain = d
	}
	return fail, drain, nil
}

// standIn serves a stand-in task's ports from the simulator's process:
// HTTP or a raw TCP banner on tcp ports, an echo on udp ports.
type standIn struct {
	line   string // "<MESOS_TASK_ID> <MARATHON_APP_ID> <image>\n"
	taskID string
	tcp    []net.Listener
	udp    []net.PacketConn
	http   *http.Server
	queue  *connQueue

	mu    sync.Mutex
	raw   map[net.Conn]bool
	wg    sync.WaitGroup
	close sync.Once
}

// listenStandIn opens the stand-in's ports: the fixed ports when given
// (requirePorts), else free loopback ports. It returns the ports in order.
func listenStandIn(protocols []string, fixed []int) (*standIn, []int, error) {
	si := &standIn{raw: map[net.Conn]bool{}, queue: newConnQueue()}
	ports := make([]int, len(protocols))
	for i, proto := range protocols {
		want := 0
		if i < len(fixed) {
			want = fixed[i]
		}
		port, err := si.listen(proto, want)
		if err != nil {
			si.closeListeners()
			return nil, nil, err
		}
		ports[i] = port
	}
	return si, ports, nil
}

// listen opens one port for proto; for "tcp,udp" it retries until a port
// is free for both.
func (si *standIn) listen(proto string, want int) (int, error) {
	tcp, udp := strings.Contains(proto, "tcp"), strings.Contains(proto, "udp")
	if !tcp && !udp {
		tcp = true
	}
	var lastErr error
	for range 20 {
		port := want
		var ln net.Listener
		if tcp {
			l, err := net.Listen("tcp", net.JoinHostPort(simHost, strconv.Itoa(port)))
			if err != nil {
				return 0, fmt.Errorf("stand-in port: %w", err)
			}
			ln, port = l, l.Addr().(*net.TCPAddr).Port
		}
		if udp {
			pc, err := net.ListenPacket("udp", net.JoinHostPort(simHost, strconv.Itoa(port)))
			if err != nil {
				lastErr = fmt.Errorf("stand-in port: %w", err)
				if ln != nil {
					_ = ln.Close()
				}
				if want != 0 || !tcp {
					return 0, lastErr
				}
				continue // the tcp port is taken for udp: try another
			}
			si.udp = append(si.udp, pc)
			port = pc.LocalAddr().(*net.UDPAddr).Port
		}
		if ln != nil {
			si.tcp = append(si.tcp, ln)
		}
		return port, nil
	}
	return 0, lastErr
}

// serve starts answering on the stand-in's ports as task taskID.
func (si *standIn) serve(taskID, appID, image string) {
	si.taskID = taskID
	si.line = taskID + " " + appID + " " + image + "\n"
	si.http = &http.Server{
		Handler:           http.HandlerFunc(si.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
	}
	si.wg.Go(func() { _ = si.http.Serve(si.queue) })
	for _, ln := range si.tcp {
		si.wg.Go(func() { si.accept(ln) })
	}
	for _, pc := range si.udp {
		si.wg.Go(func() { si.echo(pc) })
	}
}

func (si *standIn) serveHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, si.line)
}

// draining makes the stand-in close HTTP connections after their current
// request, as a server does once told to stop.
func (si *standIn) draining() {
	if si.http != nil {
		si.http.SetKeepAlivesEnabled(false)
	}
}

func (si *standIn) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		si.wg.Go(func() { si.handle(c) })
	}
}

// handle tells an HTTP client from a raw TCP one by its first bytes: an
// HTTP request goes to the HTTP server; any other client (or one silent for
// sniffTimeout) gets the task line, then each line it sends back prefixed
// with the task id.
func (si *standIn) handle(c net.Conn) {
	if !si.track(c, true) { // so that Close ends a sniff at once
		_ = c.Close()
		return
	}
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(sniffTimeout))
	isHTTP := sniffHTTP(br)
	_ = c.SetReadDeadline(time.Time{})
	if isHTTP {
		si.track(c, false)
		si.queue.put(&bufConn{Conn: c, r: br})
		return
	}
	defer si.track(c, false)
	defer c.Close()
	if _, err := io.WriteString(c, si.line); err != nil {
		return
	}
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if _, werr := io.WriteString(c, si.taskID+" "+line); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// track adds or removes a raw connection; adding fails once closed.
func (si *standIn) track(c net.Conn, add bool) bool {
	si.mu.Lock()
	defer si.mu.Unlock()
	if !add {
		if si.raw != nil {
			delete(si.raw, c)
		}
		return true
	}
	if si.raw == nil {
		return false
	}
	si.raw[c] = true
	return true
}

// sniffHTTP reports whether the first bytes from br start an HTTP request.
func sniffHTTP(br *bufio.Reader) bool {
	for n := 1; n <= len("OPTIONS "); n++ {
		b, err := br.Peek(n)
		if err != nil {
			return false
		}
		prefix := false
		for _, m := range httpMethods {
			if strings.HasPrefix(m, string(b)) {
				if len(b) == len(m) {
					return true
				}
				prefix = true
			}
		}
		if !prefix {
			return false
		}
	}
	return false
}

func (si *standIn) echo(pc net.PacketConn) {
	buf := make([]byte, 64<<10)
	prefix := []byte(si.taskID + " ")
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		_, _ = pc.WriteTo(append(append([]byte(nil), prefix...), buf[:n]...), addr)
	}
}

// Close stops serving: listeners, HTTP and raw connections, UDP sockets.
// It waits for the stand-in's goroutines and is idempotent.
func (si *standIn) Close() {
	si.close.Do(func() {
		si.closeListeners()
		if si.http != nil {
			_ = si.http.Close()
		}
		_ = si.queue.Close()
		si.mu.Lock()
		for c := range si.raw {
			_ = c.Close()
		}
		si.raw = nil
		si.mu.Unlock()
	})
	si.wg.Wait()
}

func (si *standIn) closeListeners() {
	for _, ln := range si.tcp {
		_ = ln.Close()
	}
	for _, pc := range si.udp {
		_ = pc.Close()
	}
}

// connQueue is a net.Listener fed with connections found to speak HTTP.
type connQueue struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnQueue() *connQueue {
	return &connQueue{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (q *connQueue) put(c net.Conn) {
	select {
	case q.ch <- c:
	case <-q.done:
		_ = c.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return &net.TCPAddr{IP: net.ParseIP(simHost)} }

// bufConn is a connection whose first bytes were already read into r.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

package lb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
)

// RuntimeUpdater applies a change of server lists to the running load
// balancer without a reload (HAProxy's runtime API). The pipeline calls it
// only when the new config has the structure of the one the load balancer
// runs, and writes the config file afterwards so a later reload or restart
// sees the same servers.
type RuntimeUpdater interface {
	// Update moves the running load balancer from the servers of prev to
	// those of next (same backends, same slot capacities). An error wrapping
	// ErrNotRuntime means the change cannot be made at runtime; any error
	// makes the pipeline fall back to validate and reload.
	Update(ctx context.Context, prev, next []Backend) (commands int, err error)
}

// ErrNotRuntime: the change needs a reload (for instance a server given by
// host name, which the runtime API cannot resolve).
var ErrNotRuntime = errors.New("change cannot be applied through the runtime API")

// HAProxyRuntime is a RuntimeUpdater speaking to HAProxy's stats socket
// (level admin, as HAProxyRenderer renders it for RenderOptions.StatsSocket).
// For each slot whose task changed it sends
//
//	set server <backend>/<slot> addr <ip> port <port>
//	set server <backend>/<slot> state ready
//
// or, for a slot that no longer holds a task (it left: killed, unhealthy,
// TASK_KILLING),
//
//	set server <backend>/<slot> state maint
//
// so no new request reaches it; requests in flight finish.
type HAProxyRuntime struct {
	// Socket is the stats socket path.
	Socket string
	// Timeout bounds one update (connect and all commands); zero means 5s.
	Timeout time.Duration
}

var _ RuntimeUpdater = (*HAProxyRuntime)(nil)

// Update implements RuntimeUpdater.
func (h *HAProxyRuntime) Update(ctx context.Context, prev, next []Backend) (int, error) {
	cmds, err := runtimeCommands(prev, next)
	if err != nil || len(cmds) == 0 {
		return 0, err
	}
	timeout := cmpOrDur(h.Timeout, 5*time.Second)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", h.Socket)
	if err != nil {
		return 0, fmt.Errorf("haproxy runtime api: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	s := &promptSession{conn: conn, r: bufio.NewReader(conn)}
	if _, err := s.do("prompt"); err != nil {
		return 0, fmt.Errorf("haproxy runtime api %s: %w", h.Socket, err)
	}
	for i, c := range cmds {
		out, err := s.do(c)
		if err != nil {
			return i, fmt.Errorf("haproxy runtime api %s: %s: %w", h.Socket, c, err)
		}
		if !runtimeOK(c, out) {
			return i, fmt.Errorf("haproxy runtime api %s: %s: %s", h.Socket, c, out)
		}
	}
	_, _ = conn.Write([]byte("quit\n"))
	logr.FromContextOrDiscard(ctx).V(1).Info("Updated HAProxy servers through the runtime API", "commands", len(cmds))
	return len(cmds), nil
}

// runtimeCommands lists the commands moving the slots of prev to those of
// next. Backends are matched by name; every backend of next must be in prev
// with the same slot capacity (the pipeline checked the structure).
func runtimeCommands(prev, next []Backend) ([]string, error) {
	old := make(map[string][]Server, len(prev))
	for _, b := range prev {
		old[b.Name] = b.Servers
	}
	var cmds []string
	for _, b := range next {
		if b.Protocol == ProtocolUDP {
			continue
		}
		was, ok := old[b.Name]
		if !ok {
			return nil, fmt.Errorf("backend %s is new: %w", b.Name, ErrNotRuntime)
		}
		if slices.Equal(was, b.Servers) {
			continue
		}
		from, to := assignSlots(was), assignSlots(b.Servers)
		if len(from) != len(to) {
			return nil, fmt.Errorf("backend %s: %d slots instead of %d: %w", b.Name, len(to), len(from), ErrNotRuntime)
		}
		for i, s := range to {
			if s == from[i] {
				continue
			}
			srv := b.Name + "/" + slotName(i)
			if s == (Server{}) {
				cmds = append(cmds, "set server "+srv+" state maint")
				continue
			}
			if net.ParseIP(s.Host) == nil {
				return nil, fmt.Errorf("backend %s: server %s is a host name: %w", b.Name, s.Host, ErrNotRuntime)
			}
			cmds = append(cmds, "set server "+srv+" addr "+s.Host+" port "+strconv.Itoa(s.Port),
				"set server "+srv+" state ready")
		}
	}
	return cmds, nil
}

// runtimeOK tells HAProxy's answer to a command we sent: "set server ...
// state" says nothing when it worked; "addr" reports the change.
func runtimeOK(cmd, out string) bool {
	if strings.HasSuffix(cmd, " state ready") || strings.HasSuffix(cmd, " state maint") {
		return out == ""
	}
	return strings.Contains(out, "changed from") || strings.Contains(out, "no need to change")
}

// promptSession is a stats socket connection in prompt mode: every answer
// ends with "\n> ".
type promptSession struct {
	conn net.Conn
	r    *bufio.Reader
}

func (s *promptSession) do(cmd string) (string, error) {
	if _, err := s.conn.Write([]byte(cmd + "\n")); err != nil {
		return "", err
	}
	var b strings.Builder
	for {
		chunk, err := s.r.ReadString('>')
		b.WriteString(chunk)
		if err != nil {
			return "", fmt.Errorf("read answer: %w (got %q)", err, b.String())
		}
		if strings.HasSuffix(b.String(), "\n>") {
			if _, err := s.r.ReadByte(); err != nil { // the space after ">"
				return "", fmt.Errorf("read answer: %w", err)
			}
			return strings.TrimSpace(strings.TrimSuffix(b.String(), ">")), nil
		}
	}
}

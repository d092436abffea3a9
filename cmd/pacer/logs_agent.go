package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"pacer.dev/pacer/internal/marathon"
)

// agentClient reads task sandboxes from Mesos agents: /state for the
// sandbox directory, /files/read for its files (Mesos 1.x: offset -1 gives
// the size, each read answers {"data": ..., "offset": N} and is capped by
// the agent at 16 pages).
type agentClient struct {
	http *http.Client
	port int
}

func newAgentClient(port int) *agentClient {
	return &agentClient{http: &http.Client{Timeout: 10 * time.Second}, port: port}
}

func (c *agentClient) base(host string) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(c.port))
}

func (c *agentClient) get(ctx context.Context, base, path string, q url.Values, out any) error {
	u := base + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("agent %s unreachable (is --agent-port %d the agents' HTTP port?): %w", base, c.port, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("agent %s: GET %s: %w", base, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("agent %s: GET %s: %s: %s", base, path, resp.Status, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("agent %s: GET %s: decode: %w", base, path, err)
	}
	return nil
}

// agentExecutor is the part of an executor in the agent's /state pacer reads.
type agentExecutor struct {
	ID             string                `json:"id"`
	Directory      string                `json:"directory"`
	Tasks          []struct{ ID string } `json:"tasks"`
	QueuedTasks    []struct{ ID string } `json:"queued_tasks"`
	CompletedTasks []struct{ ID string } `json:"completed_tasks"`
}

func (e agentExecutor) runs(taskID string) bool {
	for _, list := range [][]struct{ ID string }{e.Tasks, e.QueuedTasks, e.CompletedTasks} {
		for _, t := range list {
			if t.ID == taskID {
				return true
			}
		}
	}
	return false
}

type agentFramework struct {
	Executors          []agentExecutor `json:"executors"`
	CompletedExecutors []agentExecutor `json:"completed_executors"`
}

// sandbox returns the directory of the executor that runs taskID,
// preferring a live executor to a completed one.
func (c *agentClient) sandbox(ctx context.Context, base, taskID string) (string, error) {
	var st struct {
		ID                  string           `json:"id"`
		Frameworks          []agentFramework `json:"frameworks"`
		CompletedFrameworks []agentFramework `json:"completed_frameworks"`
	}
	if err := c.get(ctx, base, "/state", nil, &st); err != nil {
		return "", err
	}
	var found string
	for _, fws := range [][]agentFramework{st.Frameworks, st.CompletedFrameworks} {
		for _, fw := range fws {
			for _, e := range fw.Executors {
				if e.runs(taskID) && e.Directory != "" {
					return e.Directory, nil
				}
			}
			for _, e := range fw.CompletedExecutors {
				if e.runs(taskID) && e.Directory != "" {
					found = e.Directory // the newest is listed last
				}
			}
		}
	}
	if found == "" {
		return "", fmt.Errorf("agent %s (%s) has no sandbox for the task", base, st.ID)
	}
	return found, nil
}

// read is one /files/read call; length < 0 reads as much as the agent gives.
func (c *agentClient) read(ctx context.Context, base, path string, offset, length int64) (string, int64, error) {
	q := url.Values{"path": {path}, "offset": {strconv.FormatInt(offset, 10)}}
	if length >= 0 {
		q.Set("length", strconv.FormatInt(length, 10))
	}
	var r struct {
		Data   string `json:"data"`
		Offset int64  `json:"offset"`
	}
	if err := c.get(ctx, base, "/files/read", q, &r); err != nil {
		return "", 0, err
	}
	return r.Data, r.Offset, nil
}

// tailStart is the offset of the first of the last n lines of the file of
// the given size (a final newline ends the last line, it starts none).
func (c *agentClient) tailStart(ctx context.Context, base, path string, size int64, n int) (int64, error) {
	if n == 0 {
		return size, nil
	}
	const chunk = 16 << 10
	seen := 0
	for pos := size; pos > 0; {
		lo := max(0, pos-chunk)
		data, err := c.readRange(ctx, base, path, lo, pos-lo)
		if err != nil {
			return 0, err
		}
		for i := len(data) - 1; i >= 0; i-- {
			if data[i] != '\n' || lo+int64(i) == size-1 {
				continue
			}
			if seen++; seen == n {
				return lo + int64(i) + 1, nil
			}
		}
		pos = lo
	}
	return 0, nil
}

// readRange reads n bytes from offset in as many calls as the agent's cap
// needs (fewer at the end of the file).
func (c *agentClient) readRange(ctx context.Context, base, path string, offset, n int64) ([]byte, error) {
	var out []byte
	for int64(len(out)) < n {
		data, _, err := c.read(ctx, base, path, offset+int64(len(out)), n-int64(len(out)))
		if err != nil {
			return nil, err
		}
		if data == "" {
			break
		}
		out = append(out, data...)
	}
	return out, nil
}

// lineWriter writes whole lines from several tasks without interleaving.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) line(prefix string, b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s%s\n", prefix, b)
}

// tailer prints one sandbox file from an offset on, line by line.
type tailer struct {
	ag      *agentClient
	base    string
	path    string
	offset  int64
	partial []byte
	out     *lineWriter
	prefix  string
}

// drain reads from the offset to the current end of the file and prints
// its complete lines, keeping a trailing partial line for later.
func (t *tailer) drain(ctx context.Context) error {
	for {
		data, _, err := t.ag.read(ctx, t.base, t.path, t.offset, -1)
		if err != nil {
			return err
		}
		if data == "" {
			return nil
		}
		t.offset += int64(len(data))
		t.partial = append(t.partial, data...)
		for {
			i := bytes.IndexByte(t.partial, '\n')
			if i < 0 {
				break
			}
			t.out.line(t.prefix, t.partial[:i])
			t.partial = t.partial[i+1:]
		}
	}
}

func (t *tailer) flush() {
	if len(t.partial) > 0 {
		t.out.line(t.prefix, t.partial)
		t.partial = nil
	}
}

// followTask prints the task's file (its last o.tail lines) and, with -f,
// polls it for new output every o.poll until ctx ends. A failed poll is
// reported on stderr once and retried: the agent may be restarting.
func followTask(ctx context.Context, ag *agentClient, task marathon.Task, file string, o *logsOptions, out *lineWriter, prefix string, stderr io.Writer) error {
	base := ag.base(task.Host)
	dir, err := ag.sandbox(ctx, base, task.ID)
	if err != nil {
		return fmt.Errorf("task %s on %s: %w", task.ID, task.Host, err)
	}
	path := dir + "/" + file
	_, size, err := ag.read(ctx, base, path, -1, -1)
	if err != nil {
		return fmt.Errorf("task %s: read %s: %w", task.ID, path, err)
	}
	t := &tailer{ag: ag, base: base, path: path, out: out, prefix: prefix}
	if o.tail >= 0 {
		if t.offset, err = ag.tailStart(ctx, base, path, size, o.tail); err != nil {
			return fmt.Errorf("task %s: read %s: %w", task.ID, path, err)
		}
	}
	if err := t.drain(ctx); err != nil {
		return fmt.Errorf("task %s: read %s: %w", task.ID, path, err)
	}
	if !o.follow {
		t.flush()
		return nil
	}
	timer := time.NewTimer(o.poll)
	defer timer.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			t.flush()
			return nil
		case <-timer.C:
		}
		err := t.drain(ctx)
		switch {
		case err != nil && errors.Is(err, ctx.Err()):
		case err != nil && !failing:
			fmt.Fprintf(stderr, "warning: task %s: read %s: %v (retrying)\n", task.ID, path, err)
			failing = true
		case err == nil:
			failing = false
		}
		timer.Reset(o.poll)
	}
}

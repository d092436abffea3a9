package reconcilertest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim"
)

// Request is one HTTP request seen by a Recorder.
type Request struct {
	Method string
	// Path is the request path, e.g. /v2/apps/a.
	Path string
	// Query is the raw query, e.g. partialUpdate=false.
	Query  string
	Body   string
	Status int
}

// String is "METHOD path?query status".
func (r Request) String() string {
	s := r.Method + " " + r.Path
	if r.Query != "" {
		s += "?" + r.Query
	}
	return s
}

// Recorder is an http.Handler in front of another one (the simulator) that
// records every request and its status. After, when set, runs after each
// request, e.g. to lift a fault once it has been seen.
type Recorder struct {
	Next  http.Handler
	After func(Request)

	mu   sync.Mutex
	reqs []Request
}

// ServeHTTP implements http.Handler.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rec.Next.ServeHTTP(sw, r)
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body), Status: sw.status}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, req)
	after := rec.After
	rec.mu.Unlock()
	if after != nil {
		after(req)
	}
}

// Requests returns the /v2 requests seen so far (the simulator's control
// API under /sim is left out).
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []Request
	for _, r := range rec.reqs {
		if strings.HasPrefix(r.Path, "/v2/") {
			out = append(out, r)
		}
	}
	return out
}

// Writes returns the /v2 requests that are not GETs, as "METHOD path?query".
func (rec *Recorder) Writes() []string {
	var out []string
	for _, r := range rec.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r.String())
		}
	}
	return out
}

// Reset forgets the requests seen so far.
func (rec *Recorder) Reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush lets the event stream through.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Sim is an in-process marathonsim behind a Recorder, served over HTTP.
type Sim struct {
	URL    string
	Server *marathonsim.Server
	Rec    *Recorder
}

// NewSim starts a simulator (TaskStart defaults to 5ms) and stops it when
// the test ends.
func NewSim(t testing.TB, opts marathonsim.Options) *Sim {
	t.Helper()
	if opts.TaskStart == 0 {
		opts.TaskStart = 5 * time.Millisecond
	}
	s, err := marathonsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := &Recorder{Next: s}
	srv := httptest.NewServer(rec)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		if err := s.Close(); err != nil {
			t.Errorf("close simulator: %v", err)
		}
	})
	return &Sim{URL: srv.URL, Server: s, Rec: rec}
}

// Control calls the simulator directly (not recorded) and returns the status
// and body, e.g. Control(t, "POST", "/sim/v1/faults", `{"stallDeployments":true}`).
func (s *Sim) Control(t testing.TB, method, path, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	s.Server.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

// Event is one event of the simulator's /v2/events stream.
type Event struct {
	Type string
	Data json.RawMessage
}

// Events subscribes to the event stream and returns a function listing the
// events received so far. It returns once the stream is attached.
func (s *Sim) Events(t testing.TB) func() []Event {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/v2/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var evs []Event
	attached := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
		var typ string
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				mu.Lock()
				evs = append(evs, Event{Type: typ, Data: json.RawMessage(strings.TrimPrefix(line, "data: "))})
				mu.Unlock()
				once.Do(func() { close(attached) })
			}
		}
		once.Do(func() { close(attached) })
	}()
	select {
	case <-attached:
	case <-time.After(10 * time.Second):
		t.Fatal("event stream did not attach")
	}
	return func() []Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]Event(nil), evs...)
	}
}

// StepActions lists "Action /app" of every deployment_info event, in order.
func StepActions(evs []Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type != "deployment_info" {
			continue
		}
		var d struct {
			CurrentStep struct {
				Actions []struct {
					Action string `json:"action"`
					App    string `json:"app"`
				} `json:"actions"`
			} `json:"currentStep"`
		}
		if json.Unmarshal(e.Data, &d) != nil {
			continue
		}
		for _, a := range d.CurrentStep.Actions {
			out = append(out, a.Action+" "+a.App)
		}
	}
	return out
}

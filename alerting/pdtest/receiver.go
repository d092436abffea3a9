package pdtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Paths PagerDuty serves events on.
const (
	EnqueuePath = "/v2/enqueue"
	ChangePath  = "/v2/change/enqueue"
)

// PagerDuty's limits.
const (
	MaxPayloadBytes = 512 * 1024
	MaxDedupKey     = 255
	MaxSummary      = 1024
	RoutingKeyLen   = 32
)

// Event is an event the receiver accepted.
type Event struct {
	Path       string
	At         time.Time // from Options.Now, zero without it
	RoutingKey string
	Action     string // trigger, acknowledge, resolve; "change" for change events
	DedupKey   string
	Body       json.RawMessage // exactly as sent
}

// Response is a canned answer for one request.
type Response struct {
	Status     int
	RetryAfter string // Retry-After header, if any
}

// Options configure a Receiver.
type Options struct {
	// Now stamps accepted events (a test's fake clock).
	Now func() time.Time
}

// Receiver is a running fake Events API v2.
type Receiver struct {
	URL string
	// Accepted gets every accepted event as it arrives (buffered).
	Accepted chan Event

	opts     Options
	mu       sync.Mutex
	events   []Event
	answers  []Response
	requests int
	rejected []string
}

// New starts a receiver closed at the end of the test.
func New(t testing.TB, opts Options) *Receiver {
	r := &Receiver{opts: opts, Accepted: make(chan Event, 10000)}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Answer makes the next requests get these responses, in order, before
// the receiver answers normally again. The events are not recorded.
func (r *Receiver) Answer(rs ...Response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers = append(r.answers, rs...)
}

// Events returns the accepted events in order.
func (r *Receiver) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Requests is how many requests arrived, answered or not.
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// Rejected lists the problems of the events answered with 400.
func (r *Receiver) Rejected() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.rejected)
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests++
	var canned *Response
	if len(r.answers) > 0 {
		canned = &r.answers[0]
		r.answers = r.answers[1:]
	}
	r.mu.Unlock()
	if canned != nil {
		answer(w, *canned)
		return
	}
	if req.Method != http.MethodPost || (req.URL.Path != EnqueuePath && req.URL.Path != ChangePath) {
		writeJSON(w, http.StatusNotFound, map[string]any{"status": "not found"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxPayloadBytes+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, invalid("could not read body"))
		return
	}
	var ev Event
	var problems []string
	if req.URL.Path == ChangePath {
		ev, problems = checkChange(body)
	} else {
		ev, problems = checkEvent(body)
	}
	if len(body) > MaxPayloadBytes {
		problems = append(problems, fmt.Sprintf("payload larger than %d bytes", MaxPayloadBytes))
	}
	if len(problems) > 0 {
		r.mu.Lock()
		r.rejected = append(r.rejected, problems...)
		r.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, invalid(problems...))
		return
	}
	ev.Path = req.URL.Path
	ev.Body = body
	if r.opts.Now != nil {
		ev.At = r.opts.Now()
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.Accepted <- ev
	if ev.Path == ChangePath {
		writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "message": "Change event processed"})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

func answer(w http.ResponseWriter, c Response) {
	if c.RetryAfter != "" {
		w.Header().Set("Retry-After", c.RetryAfter)
	}
	switch {
	case c.Status == http.StatusTooManyRequests:
		writeJSON(w, c.Status, map[string]any{"status": "throttle event",
			"message": "Requests for this service are arriving too quickly.  Please retry later."})
	case c.Status == http.StatusBadRequest:
		writeJSON(w, c.Status, invalid("canned 400"))
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(c.Status)
		_, _ = io.WriteString(w, http.StatusText(c.Status)+"\n")
	}
}

func invalid(errs ...string) map[string]any {
	return map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type wireEvent struct {
	RoutingKey  string          `json:"routing_key"`
	EventAction string          `json:"event_action"`
	DedupKey    string          `json:"dedup_key"`
	Payload     *wirePayload    `json:"payload"`
	Links       json.RawMessage `json:"links"`
}

type wirePayload struct {
	Summary   string `json:"summary"`
	Source    string `json:"source"`
	Severity  string `json:"severity"`
	Timestamp string `json:"timestamp"`
}

func checkEvent(body []byte) (Event, []string) {
	var e wireEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return Event{}, []string{"body is not a JSON event: " + err.Error()}
	}
	p := checkRoutingKey(e.RoutingKey)
	switch e.EventAction {
	case "trigger":
		p = append(p, checkPayload(e.Payload)...)
	case "acknowledge", "resolve":
		if e.DedupKey == "" {
			p = append(p, "'dedup_key' is required for "+e.EventAction)
		}
	default:
		p = append(p, "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
	}
	if len(e.DedupKey) > MaxDedupKey {
		p = append(p, "'dedup_key' must be at most 255 characters")
	}
	dedup := e.DedupKey
	if dedup == "" && e.EventAction == "trigger" {
		sum := sha256.Sum256(body)
		dedup = hex.EncodeToString(sum[:16])
	}
	return Event{RoutingKey: e.RoutingKey, Action: e.EventAction, DedupKey: dedup}, p
}

func checkPayload(p *wirePayload) []string {
	if p == nil {
		return []string{"'payload' is missing or blank"}
	}
	var out []string
	switch {
	case p.Summary == "":
		out = append(out, "'payload.summary' is missing or blank")
	case len(p.Summary) > MaxSummary:
		out = append(out, "'payload.summary' must be at most "+strconv.Itoa(MaxSummary)+" characters")
	}
	if p.Source == "" {
		out = append(out, "'payload.source' is missing or blank")
	}
	switch p.Severity {
	case "critical", "error", "warning", "info":
	default:
		out = append(out, "'payload.severity' is invalid (must be one of: critical, error, warning, info)")
	}
	out = append(out, checkTimestamp("payload.timestamp", p.Timestamp)...)
	return out
}

func checkChange(body []byte) (Event, []string) {
	var e struct {
		RoutingKey string       `json:"routing_key"`
		Payload    *wirePayload `json:"payload"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return Event{}, []string{"body is not a JSON change event: " + err.Error()}
	}
	p := checkRoutingKey(e.RoutingKey)
	switch {
	case e.Payload == nil || e.Payload.Summary == "":
		p = append(p, "'payload.summary' is missing or blank")
	case len(e.Payload.Summary) > MaxSummary:
		p = append(p, "'payload.summary' must be at most 1024 characters")
	}
	if e.Payload != nil {
		p = append(p, checkTimestamp("payload.timestamp", e.Payload.Timestamp)...)
	}
	return Event{RoutingKey: e.RoutingKey, Action: "change"}, p
}

func checkRoutingKey(k string) []string {
	if len(k) != RoutingKeyLen {
		return []string{"'routing_key' must be 32 characters"}
	}
	return nil
}

func checkTimestamp(field, ts string) []string {
	if ts == "" {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, ts); err != nil {
		return []string{"'" + field + "' is not an ISO 8601 timestamp"}
	}
	return nil
}

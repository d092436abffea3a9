package alerting

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

// DefaultPagerDutyEndpoint is PagerDuty's Events API v2 base URL
// (go-pagerduty appends /v2/enqueue and /v2/change/enqueue).
const DefaultPagerDutyEndpoint = "https://events.pagerduty.com"

// maxDiff bounds the diff excerpt in custom_details (PagerDuty takes 512 KB
// per event; a responder reads far less).
const maxDiff = 4000

// PagerDutyOptions configure the PagerDuty sender.
type PagerDutyOptions struct {
	// Endpoint is the Events API v2 base URL (--pagerduty-endpoint); a
	// trailing /v2/enqueue is accepted. Empty means DefaultPagerDutyEndpoint.
	Endpoint string
	// HTTPClient defaults to a client with a 30s timeout.
	HTTPClient *http.Client
	// ClientURL is shown on the alert as its source (pacer's status page).
	ClientURL string
}

// PagerDuty sends events to PagerDuty's Events API v2 through go-pagerduty,
// once each: Delivery retries. It implements Sender.
type PagerDuty struct {
	client    *pagerduty.Client
	clientURL string
}

var _ Sender = (*PagerDuty)(nil)

// NewPagerDuty returns a sender for the endpoint in opts.
func NewPagerDuty(opts PagerDutyOptions) *PagerDuty {
	endpoint := strings.TrimSuffix(strings.TrimSuffix(opts.Endpoint, "/"), "/v2/enqueue")
	if endpoint == "" {
		endpoint = DefaultPagerDutyEndpoint
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := pagerduty.NewClient("", pagerduty.WithV2EventsAPIEndpoint(endpoint))
	c.HTTPClient = recordingClient{next: hc}
	return &PagerDuty{client: c, clientURL: opts.ClientURL}
}

// SendError is PagerDuty's answer to an event it did not accept.
type SendError struct {
	StatusCode int
	// RetryAfter is the server's Retry-After, zero when absent.
	RetryAfter time.Duration
	// Problem is what PagerDuty said is wrong (message and errors).
	Problem string
	Err     error
}

func (e *SendError) Error() string {
	if e.Problem != "" {
		return fmt.Sprintf("pagerduty answered %d: %s", e.StatusCode, e.Problem)
	}
	return fmt.Sprintf("pagerduty answered %d", e.StatusCode)
}

func (e *SendError) Unwrap() error { return e.Err }

// Permanent reports whether resending the same event cannot succeed:
// 400 (invalid event) and 413 (too large). 429, 5xx and others are retried.
func (e *SendError) Permanent() bool {
	return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusRequestEntityTooLarge
}

// SendIncident triggers or resolves inc with the routing key.
func (p *PagerDuty) SendIncident(ctx context.Context, key RoutingKey, inc Incident) error {
	ctx, rec := withResponseRecord(ctx)
	_, err := p.client.ManageEventWithContext(ctx, p.v2Event(key, inc))
	if err != nil {
		return fmt.Errorf("send %s %s: %w", inc.State, inc.DedupKey, rec.sendError(err))
	}
	return nil
}

// SendChange sends c as a PagerDuty Change Event.
func (p *PagerDuty) SendChange(ctx context.Context, key RoutingKey, c Change) error {
	ctx, rec := withResponseRecord(ctx)
	_, err := p.client.CreateChangeEventWithContext(ctx, changeEvent(key, c))
	if err != nil {
		return fmt.Errorf("send change %s %s: %w", c.App, c.Revision, rec.sendError(err))
	}
	return nil
}

func (p *PagerDuty) v2Event(key RoutingKey, inc Incident) *pagerduty.V2Event {
	e := &pagerduty.V2Event{RoutingKey: key.Reveal(), Action: string(inc.State), DedupKey: inc.DedupKey}
	if inc.State != Triggered {
		return e
	}
	e.Client = "pacer"
	e.ClientURL = p.clientURL
	for _, l := range inc.Links {
		e.Links = append(e.Links, map[string]string{"href": l.Href, "text": l.Text})
	}
	e.Payload = &pagerduty.V2Payload{
		Summary:   inc.Summary,
		Source:    inc.Cluster,
		Severity:  string(inc.Severity),
		Timestamp: inc.At.UTC().Format(time.RFC3339),
		Component: inc.App,
		Group:     inc.Group,
		Class:     string(inc.Condition),
		Details:   customDetails(inc),
	}
	return e
}

func customDetails(inc Incident) map[string]any {
	d := inc.Details
	m := map[string]any{"since": inc.Since.UTC().Format(time.RFC3339)}
	set := func(k string, v any, ok bool) {
		if ok {
			m[k] = v
		}
	}
	set("environment", inc.Environment, inc.Environment != "")
	set("instances", d.Instances, d.Instances > 0)
	set("running", d.Running, d.Running > 0 || d.Instances > 0)
	set("healthy", d.Healthy, d.Healthy > 0 || d.Instances > 0)
	set("unhealthy", d.Unhealthy, d.Unhealthy > 0)
	set("message", d.Message, d.Message != "")
	set("revision", d.Revision, d.Revision != "")
	set("diff", truncate(d.Diff, maxDiff), d.Diff != "")
	set("deployment_id", d.DeploymentID, d.DeploymentID != "")
	set("deployment_age", FormatDuration(d.Age), d.Age > 0)
	for k, v := range d.Extra {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return m
}

func changeEvent(key RoutingKey, c Change) pagerduty.ChangeEvent {
	details := map[string]any{"cluster": c.Cluster, "app": c.App}
	for k, v := range map[string]string{"group": c.Group, "environment": c.Environment, "revision": c.Revision,
		"previous_revision": c.PreviousRevision, "diff": truncate(c.Diff, maxDiff), "action": c.Action,
		"deployment_id": c.DeploymentID} {
		if v != "" {
			details[k] = v
		}
	}
	if len(c.What) > 0 {
		details["changes"] = c.What
	}
	e := pagerduty.ChangeEvent{
		RoutingKey: key.Reveal(),
		Payload: pagerduty.ChangeEventPayload{
			Summary:       c.Summary(),
			Source:        c.Cluster,
			Timestamp:     c.At.UTC().Format(time.RFC3339),
			CustomDetails: details,
		},
	}
	for _, l := range c.Links {
		e.Links = append(e.Links, pagerduty.ChangeEventLink{Href: l.Href, Text: l.Text})
	}
	return e
}

// go-pagerduty's APIError has the status but neither Retry-After nor the
// Events API's error body ({"status","message","errors"}), so the HTTP
// client records them for the request's context.

type responseRecordKey struct{}

type responseRecord struct {
	status     int
	retryAfter time.Duration
	body       []byte
}

func withResponseRecord(ctx context.Context) (context.Context, *responseRecord) {
	rec := &responseRecord{}
	return context.WithValue(ctx, responseRecordKey{}, rec), rec
}

// sendError turns go-pagerduty's error into a *SendError when PagerDuty
// answered, and leaves transport errors as they are.
func (r *responseRecord) sendError(err error) error {
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) && r.status == 0 {
		return err
	}
	se := &SendError{StatusCode: r.status, RetryAfter: r.retryAfter, Err: err}
	if se.StatusCode == 0 {
		se.StatusCode = apiErr.StatusCode
	}
	var body pagerduty.V2EventResponse
	if json.Unmarshal(r.body, &body) == nil && (body.Message != "" || len(body.Errors) > 0 || body.Status != "") {
		se.Problem = strings.Join(append([]string{cmp.Or(body.Message, body.Status)}, body.Errors...), "; ")
	} else if len(r.body) > 0 {
		se.Problem = truncate(oneLine(string(r.body)), maxMessage)
	}
	return se
}

// maxErrorBody bounds how much of an error response is kept.
const maxErrorBody = 64 << 10

type recordingClient struct{ next *http.Client }

func (c recordingClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(req)
	rec, _ := req.Context().Value(responseRecordKey{}).(*responseRecord)
	if err != nil || rec == nil || resp.StatusCode < 300 {
		return resp, err
	}
	rec.status = resp.StatusCode
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, perr := strconv.Atoi(s); perr == nil && secs > 0 {
			rec.retryAfter = time.Duration(secs) * time.Second
		}
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	if rerr != nil {
		return nil, fmt.Errorf("read pagerduty error response: %w", rerr)
	}
	rec.body = body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

package alerting

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting/pdtest"
)

func testIncident() Incident {
	return Incident{
		State: Triggered, DedupKey: "pacer/ams/services/autofill/production/app/Unhealthy",
		Condition: Unhealthy, Cluster: "ams", App: "/services/autofill/production/app",
		Group: "/services/autofill", Environment: "production", Severity: SeverityCritical,
		Summary: "/services/autofill/production/app: 3 of 12 tasks unhealthy for 5m on ams",
		Since:   epoch, At: epoch.Add(5 * time.Minute),
		Details: Details{Instances: 12, Running: 12, Healthy: 9, Unhealthy: 3, Message: "Task killed: health check failed",
			Revision: "3fb4278", Diff: "instances: 12 → 14", Extra: map[string]string{"host": "slave-7.ams"}},
		Links: []Link{{Href: "http://marathon-1.ams:8080/ui/#/apps/%2Fservices%2Fautofill%2Fproduction%2Fapp", Text: "Marathon"}},
	}
}

func testChange() Change {
	return Change{
		App: "/services/autofill/production/app", Cluster: "ams", Group: "/services/autofill", Environment: "production",
		Revision: "3fb4278", PreviousRevision: "9d1c2e3", At: epoch,
		What:  []string{"container.docker.image: registry.example/autofill:3fb4278", "instances: 12 → 14"},
		Diff:  "-  image: registry.example/autofill:9d1c2e3\n+  image: registry.example/autofill:3fb4278",
		Links: []Link{{Href: "https://git.example/specs/-/commit/3fb4278", Text: "commit"}},
	}
}

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// TestPagerDutyPayloads checks exactly what PagerDuty receives.
func TestPagerDutyPayloads(t *testing.T) {
	recv := pdtest.New(t, pdtest.Options{})
	pd := NewPagerDuty(PagerDutyOptions{Endpoint: recv.URL + "/v2/enqueue", ClientURL: "http://pacer.ams:9090/status"})
	key := RoutingKey{v: secret}

	resolved := testIncident()
	resolved.State = Resolved
	if err := pd.SendIncident(t.Context(), key, testIncident()); err != nil {
		t.Fatal(err)
	}
	if err := pd.SendIncident(t.Context(), key, resolved); err != nil {
		t.Fatal(err)
	}
	if err := pd.SendChange(t.Context(), key, testChange()); err != nil {
		t.Fatal(err)
	}
	got := recv.Events()
	if len(got) != 3 {
		t.Fatalf("received %d events, want 3", len(got))
	}
	golden(t, "trigger.json.golden", indentJSON(t, got[0].Body))
	golden(t, "resolve.json.golden", indentJSON(t, got[1].Body))
	golden(t, "change.json.golden", indentJSON(t, got[2].Body))
	paths := []string{got[0].Path, got[1].Path, got[2].Path}
	if diff := cmp.Diff([]string{pdtest.EnqueuePath, pdtest.EnqueuePath, pdtest.ChangePath}, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

func TestPagerDutyErrors(t *testing.T) {
	tests := []struct {
		name    string
		answer  *pdtest.Response
		inc     func(*Incident)
		want    *SendError
		problem string
	}{
		{name: "accepted"},
		{name: "throttled", answer: &pdtest.Response{Status: 429, RetryAfter: "7"},
			want: &SendError{StatusCode: 429, RetryAfter: 7 * time.Second}, problem: "arriving too quickly"},
		{name: "server error", answer: &pdtest.Response{Status: 503}, want: &SendError{StatusCode: 503}, problem: "Service Unavailable"},
		{name: "invalid event", inc: func(i *Incident) { i.Severity = "page-everyone" },
			want: &SendError{StatusCode: 400}, problem: "Event object is invalid; 'payload.severity' is invalid"},
		{name: "summary missing", inc: func(i *Incident) { i.Summary = "" },
			want: &SendError{StatusCode: 400}, problem: "'payload.summary' is missing or blank"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recv := pdtest.New(t, pdtest.Options{})
			if tc.answer != nil {
				recv.Answer(*tc.answer)
			}
			inc := testIncident()
			if tc.inc != nil {
				tc.inc(&inc)
			}
			err := NewPagerDuty(PagerDutyOptions{Endpoint: recv.URL}).SendIncident(t.Context(), RoutingKey{v: secret}, inc)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SendError", err)
			}
			if se.StatusCode != tc.want.StatusCode || se.RetryAfter != tc.want.RetryAfter {
				t.Errorf("got status %d retry-after %s, want %d %s", se.StatusCode, se.RetryAfter, tc.want.StatusCode, tc.want.RetryAfter)
			}
			if se.Permanent() != (tc.want.StatusCode == http.StatusBadRequest) {
				t.Errorf("Permanent() = %t for %d", se.Permanent(), se.StatusCode)
			}
			if !strings.Contains(se.Problem, tc.problem) {
				t.Errorf("problem = %q, want it to contain %q", se.Problem, tc.problem)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error reveals the routing key: %v", err)
			}
		})
	}
}

func TestPagerDutyUnreachable(t *testing.T) {
	pd := NewPagerDuty(PagerDutyOptions{Endpoint: "http://127.0.0.1:1"})
	err := pd.SendIncident(t.Context(), RoutingKey{v: secret}, testIncident())
	var se *SendError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("err = %v, want a transport error that is not a *SendError", err)
	}
}

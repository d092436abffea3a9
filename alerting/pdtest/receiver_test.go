package pdtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting/pdtest"
)

const key = "0123456789abcdef0123456789abcdef"

func TestReceiver(t *testing.T) {
	trigger := func(mod func(map[string]any)) map[string]any {
		e := map[string]any{"routing_key": key, "event_action": "trigger", "dedup_key": "k",
			"payload": map[string]any{"summary": "s", "source": "ams", "severity": "critical"}}
		if mod != nil {
			mod(e)
		}
		return e
	}
	payload := func(e map[string]any) map[string]any { return e["payload"].(map[string]any) }
	tests := []struct {
		name       string
		path       string
		body       any
		wantStatus int
		wantBody   map[string]any
	}{
		{name: "trigger", path: pdtest.EnqueuePath, body: trigger(nil), wantStatus: 202,
			wantBody: map[string]any{"status": "success", "message": "Event processed", "dedup_key": "k"}},
		{name: "resolve", path: pdtest.EnqueuePath, wantStatus: 202,
			body:     map[string]any{"routing_key": key, "event_action": "resolve", "dedup_key": "k"},
			wantBody: map[string]any{"status": "success", "message": "Event processed", "dedup_key": "k"}},
		{name: "resolve without dedup key", path: pdtest.EnqueuePath, wantStatus: 400,
			body: map[string]any{"routing_key": key, "event_action": "resolve"},
			wantBody: map[string]any{"status": "invalid event", "message": "Event object is invalid",
				"errors": []any{"'dedup_key' is required for resolve"}}},
		{name: "bad severity, no source, short key", path: pdtest.EnqueuePath, wantStatus: 400,
			body: trigger(func(e map[string]any) {
				e["routing_key"] = "short"
				payload(e)["severity"] = "high"
				delete(payload(e), "source")
			}),
			wantBody: map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": []any{
				"'routing_key' must be 32 characters", "'payload.source' is missing or blank",
				"'payload.severity' is invalid (must be one of: critical, error, warning, info)"}}},
		{name: "dedup key too long", path: pdtest.EnqueuePath, wantStatus: 400,
			body: trigger(func(e map[string]any) { e["dedup_key"] = strings.Repeat("k", 256) }),
			wantBody: map[string]any{"status": "invalid event", "message": "Event object is invalid",
				"errors": []any{"'dedup_key' must be at most 255 characters"}}},
		{name: "payload too large", path: pdtest.EnqueuePath, wantStatus: 400,
			body: trigger(func(e map[string]any) { payload(e)["custom_details"] = strings.Repeat("x", 600<<10) }),
			wantBody: map[string]any{"status": "invalid event", "message": "Event object is invalid",
				"errors": []any{"body is not a JSON event: unexpected end of JSON input", "payload larger than 524288 bytes"}}},
		{name: "change", path: pdtest.ChangePath, wantStatus: 202,
			body:     map[string]any{"routing_key": key, "payload": map[string]any{"summary": "deployed"}},
			wantBody: map[string]any{"status": "success", "message": "Change event processed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := pdtest.New(t, pdtest.Options{})
			b, err := json.Marshal(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post(r.URL+tc.path, "application/json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if diff := cmp.Diff(tc.wantBody, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if accepted := len(r.Events()) == 1; accepted != (tc.wantStatus == 202) {
				t.Errorf("recorded %d events", len(r.Events()))
			}
		})
	}
}

package gitsource

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const hookToken = "hook-secret-42"

func pushBody(ref string) string {
	return `{"object_kind":"push","event_name":"push","ref":"` + ref + `","after":"abc123","commits":[]}`
}

func TestWebhook(t *testing.T) {
	for _, tc := range []struct {
		name        string
		method      string
		token       string // "" sends no header
		event       string
		body        string
		wantCode    int
		wantResult  string
		wantTrigger bool
	}{
		{name: "push to branch", method: "POST", token: hookToken, event: "Push Hook", body: pushBody("refs/heads/main"), wantCode: 202, wantResult: "sync triggered", wantTrigger: true},
		{name: "system hook push", method: "POST", token: hookToken, event: "System Hook", body: pushBody("refs/heads/main"), wantCode: 202, wantResult: "sync triggered", wantTrigger: true},
		{name: "wrong token", method: "POST", token: "hook-secret-43", event: "Push Hook", body: pushBody("refs/heads/main"), wantCode: 401, wantResult: "rejected"},
		{name: "token prefix", method: "POST", token: "hook-secret", event: "Push Hook", body: pushBody("refs/heads/main"), wantCode: 401, wantResult: "rejected"},
		{name: "missing token", method: "POST", event: "Push Hook", body: pushBody("refs/heads/main"), wantCode: 401, wantResult: "rejected"},
		{name: "get", method: "GET", token: hookToken, wantCode: 405, wantResult: "rejected"},
		{name: "other branch", method: "POST", token: hookToken, event: "Push Hook", body: pushBody("refs/heads/feature"), wantCode: 200, wantResult: "ignored"},
		{name: "tag push", method: "POST", token: hookToken, event: "Tag Push Hook", body: `{"object_kind":"tag_push","ref":"refs/tags/v1"}`, wantCode: 200, wantResult: "ignored"},
		{name: "merge request", method: "POST", token: hookToken, event: "Merge Request Hook", body: `{"object_kind":"merge_request"}`, wantCode: 200, wantResult: "ignored"},
		{name: "not json", method: "POST", token: hookToken, event: "Push Hook", body: "push!", wantCode: 400, wantResult: "rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTrigger()
			h, err := NewWebhook(WebhookOptions{Token: hookToken, Branch: "main", Trigger: tr})
			if err != nil {
				t.Fatal(err)
			}
			logs := &logSink{}
			req := httptest.NewRequestWithContext(logs.context(t), tc.method, WebhookPath, strings.NewReader(tc.body))
			if tc.token != "" {
				req.Header.Set("X-Gitlab-Token", tc.token)
			}
			req.Header.Set("X-Gitlab-Event", tc.event)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tc.wantCode {
				t.Errorf("status = %d, want %d (body %s)", rec.Code, tc.wantCode, rec.Body)
			}
			var got webhookReply
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("reply %q: %v", rec.Body, err)
			}
			if got.Result != tc.wantResult {
				t.Errorf("result = %q, want %q", got.Result, tc.wantResult)
			}
			if tc.wantResult == "ignored" && got.Reason == "" {
				t.Error("ignored without a reason")
			}
			if tc.wantCode == 405 && rec.Header().Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", rec.Header().Get("Allow"))
			}
			if pending := !tr.Fire(); pending != tc.wantTrigger {
				t.Errorf("sync pending = %v, want %v", pending, tc.wantTrigger)
			}
			if strings.Contains(logs.String()+rec.Body.String(), "hook-secret") {
				t.Errorf("token leaked into logs or reply:\n%s\n%s", logs, rec.Body)
			}
		})
	}
}

func TestWebhookCoalescesBursts(t *testing.T) {
	tr := NewTrigger()
	h, err := NewWebhook(WebhookOptions{Token: hookToken, Trigger: tr})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var codes []int
	for range 5 {
		req, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+WebhookPath, strings.NewReader(pushBody("refs/heads/main")))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Gitlab-Token", hookToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if diff := cmp.Diff([]int{202, 202, 202, 202, 202}, codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	<-tr.C()
	select {
	case <-tr.C():
		t.Error("five hooks left two syncs pending")
	default:
	}
}

func TestNewWebhookRefusesEmptyToken(t *testing.T) {
	if _, err := NewWebhook(WebhookOptions{Trigger: NewTrigger()}); err == nil {
		t.Error("NewWebhook accepted an empty token")
	}
	if _, err := NewWebhook(WebhookOptions{Token: "x"}); err == nil {
		t.Error("NewWebhook accepted a nil trigger")
	}
}

func TestLoadWebhookToken(t *testing.T) {
	env := map[string]string{EnvGitLabToken: " tok \n"}
	got, err := LoadWebhookToken(func(k string) string { return env[k] })
	if err != nil || got != "tok" {
		t.Errorf("LoadWebhookToken = %q, %v; want tok", got, err)
	}
	if _, err := LoadWebhookToken(func(string) string { return "" }); err == nil {
		t.Error("LoadWebhookToken accepted an unset variable")
	}
}

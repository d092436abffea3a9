package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

func pushHook(t *testing.T, base, after string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/hooks/gitlab",
		strings.NewReader(`{"object_kind":"push","ref":"refs/heads/main","after":"`+after+`"}`))
	req.Header.Set("X-Gitlab-Token", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	var r struct {
		Result string `json:"result"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&r)
	return resp.StatusCode, r.Result
}

// TestRunReplayedWebhooks replays issue 20's flood against `pacer run` with
// its defaults: 300 pushes of the revision in force fire no sync at all (no
// 202: the first ones are "ignored" because the git source told the trigger
// what it fetched, the rest are rate limited), where they caused 261 passes
// before. gitsource/webhook_flood_test.go counts the passes with the rate
// limit off.
func TestRunReplayedWebhooks(t *testing.T) {
	simURL := newOperatorSim(t)
	repo := gittest.New(t)
	head := repo.Push("two instances", webSpecs("2"))
	t.Setenv("PACER_GITLAB_TOKEN", "s3cret")
	p := startPacer(t, "--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
		"--cluster", "ams", "--marathon", simURL, "--listen", "127.0.0.1:0", "--log-format", "console",
		"--sync-interval", "1h", "--shutdown-timeout", "5s")
	eventually(t, 10*time.Second, "first pass", func() (bool, string) {
		st, err := getStatus(t, p.base)
		return err == nil && st.Ready && st.Revision.ID == head, p.stderr.String()
	})

	if code, result := pushHook(t, p.base, head); code != http.StatusOK || result != "ignored" {
		t.Fatalf("push of the revision in force: %d %q, want 200 ignored", code, result)
	}
	codes := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				code, _ := pushHook(t, p.base, head)
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if codes[http.StatusOK]+codes[http.StatusTooManyRequests] != 300 || codes[http.StatusOK] == 0 {
		t.Errorf("answers %v, want only 200 (ignored) and 429 (rate limited), no 202 (sync)", codes)
	}
	// The loop still follows a new revision, announced by a push once the
	// client's bucket has a token again.
	next := repo.Push("three instances", webSpecs("3"))
	eventually(t, 20*time.Second, "new revision applied", func() (bool, string) {
		code, result := pushHook(t, p.base, next)
		if code == http.StatusTooManyRequests {
			return false, "rate limited"
		}
		if code != http.StatusAccepted && result != "ignored" {
			return false, result
		}
		st, err := getStatus(t, p.base)
		return err == nil && st.Revision.ID == next, p.stderr.String()
	})
	t.Logf("answers to 300 replays: %v", codes)
}

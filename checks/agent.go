package checks

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"pacer.dev/pacer/specs"
)

// ResultsPath is where pacer agent serves its results, read-only: an agent
// never takes a check definition over the network, only from its
// environment (specs.EnvAgentChecks). Besides it the agent answers GET
// /ping and /healthz with 200 and nothing else, for the app's Marathon
// health check.
const ResultsPath = "/v1/results"

// AgentChecks decodes the checks pacer rendered into an agent's
// environment and verifies them against their hash.
func AgentChecks(list, hash string) ([]specs.Check, error) {
	if list == "" {
		return nil, fmt.Errorf("%s is empty: the app running pacer agent needs exec checks in its ServiceGroup", specs.EnvAgentChecks)
	}
	sum := sha256.Sum256([]byte(list))
	if got := hex.EncodeToString(sum[:]); got != hash {
		return nil, fmt.Errorf("%s does not match %s (%s): the env was changed outside pacer", specs.EnvAgentChecks, specs.EnvAgentChecksHash, got)
	}
	var checks []specs.Check
	if err := json.Unmarshal([]byte(list), &checks); err != nil {
		return nil, fmt.Errorf("decode %s: %w", specs.EnvAgentChecks, err)
	}
	for i, c := range checks {
		if c.Exec == nil || len(c.Exec.Command) == 0 {
			return nil, fmt.Errorf("%s[%d] (%s): not an exec check", specs.EnvAgentChecks, i, c.ID)
		}
	}
	return checks, nil
}

// ExecRunner runs exec checks as commands.
func ExecRunner(now func() time.Time) RunFunc {
	return func(ctx context.Context, c *specs.Check) Result {
		return Command(ctx, c.Exec.Command, c.Exec.Timeout, now)
	}
}

// AgentResults is the body of GET ResultsPath.
type AgentResults struct {
	// Hash is the agent's specs.EnvAgentChecksHash: which definitions it
	// runs.
	Hash   string       `json:"hash"`
	Task   string       `json:"task,omitempty"`
	Checks []CheckState `json:"checks"`
}

// AgentHandler serves an agent's results to holders of the bearer token.
type AgentHandler struct {
	Store *Store
	Hash  string
	Task  string
	Token string // required: an empty token refuses every request
}

func (h *AgentHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.URL.Path == "/ping" || r.URL.Path == "/healthz") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// For the app's Marathon health check: no token, no results.
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	if r.URL.Path != ResultsPath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "pacer agent only serves results; checks come from its app definition", http.StatusMethodNotAllowed)
		return
	}
	if !BearerOK(r, h.Token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pacer agent"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(AgentResults{Hash: h.Hash, Task: h.Task, Checks: h.Store.Snapshot()})
}

// BearerOK reports whether r carries "Authorization: Bearer <token>",
// compared in constant time; an empty token never matches.
func BearerOK(r *http.Request, token string) bool {
	const prefix = "Bearer "
	got := r.Header.Get("Authorization")
	if token == "" || len(got) < len(prefix) || got[:len(prefix)] != prefix {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got[len(prefix):]), []byte(token)) == 1
}

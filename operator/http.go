package operator

import (
	"encoding/json"
	"net/http"
)

// HandlerOptions add to the operator's HTTP endpoints.
type HandlerOptions struct {
	// Metrics is served on /metrics when set.
	Metrics *Metrics
	// Extra, when set, is added to /api/v1/status under "election".
	Election func() any
}

// Handler serves /healthz (the process answers), /readyz (the first pass
// with a good revision is done), /metrics and /api/v1/status.
func (o *Operator) Handler(opts HandlerOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !o.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: first sync not done\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics.Handler())
	}
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, _ *http.Request) {
		body := struct {
			Status
			Election any `json:"election,omitempty"`
		}{Status: o.Status()}
		if opts.Election != nil {
			body.Election = opts.Election()
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(body)
	})
	return mux
}

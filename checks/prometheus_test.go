package checks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pacer.dev/pacer/internal/loopback"
	"pacer.dev/pacer/internal/proctest"
	"pacer.dev/pacer/specs"
)

func promCheck(url, query string, warn, crit *float64, below bool, noData string) *specs.Check {
	return &specs.Check{Kind: specs.CheckPrometheus, Query: &specs.PrometheusQuery{URL: url, Query: query, Warning: warn, Critical: crit,
		Below: below, NoData: noData, Timeout: 5 * time.Second}}
}

type promCase struct {
	name, query string
	warn, crit  *float64
	below       bool
	noData      string
	state       State
	summary     string
}

func runPromCases(t *testing.T, url string, cases []promCase) {
	t.Helper()
	q := &Querier{HTTP: &http.Client{}, Now: time.Now}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := q.Query(t.Context(), promCheck(url, tc.query, tc.warn, tc.crit, tc.below, tc.noData))
			if r.State != tc.state || r.Summary != tc.summary {
				t.Errorf("got %s %q, want %s %q", r.State, r.Summary, tc.state, tc.summary)
			}
		})
	}
}

// TestQueryAPI uses an httptest server speaking /api/v1/query for the cases
// a real Prometheus cannot be made to answer (errors, matrices, non-JSON).
func TestQueryAPI(t *testing.T) {
	answers := map[string]string{
		"vec":     `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1700000000,"3"]},{"metric":{"a":"2"},"value":[1700000000,"7.5"]}]}}`,
		"matrix":  `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"100"],[2,"0.5"]]}]}}`,
		"nan":     `{"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}}`,
		"bad":     `{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`,
		"string":  `{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`,
		"garbage": `<html>proxy error</html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(answers[r.URL.Query().Get("query")]))
	}))
	defer srv.Close()
	five, ten := ptr(5), ptr(10)
	runPromCases(t, srv.URL, []promCase{
		{name: "largest series value decides", query: "vec", warn: five, crit: ten, state: Warning,
			summary: "value 7.5 beyond warning of thresholds (warning 5, critical 10) over 2 series"},
		{name: "below: smallest decides", query: "vec", warn: five, crit: ptr(2), below: true, state: Warning,
			summary: "value 3 beyond warning of thresholds (warning 5, critical 2) over 2 series"},
		{name: "matrix: last sample", query: "matrix", crit: five, state: OK,
			summary: "value 0.5 within thresholds (warning none, critical 5) over 1 series"},
		{name: "NaN", query: "nan", crit: five, state: Unknown,
			summary: "value NaN not comparable with thresholds (warning none, critical 5) over 1 series"},
		{name: "API error", query: "bad", crit: five, state: Unknown, summary: "query " + srv.URL + ": bad_data: parse error at char 3"},
		{name: "string result", query: "string", crit: five, state: Unknown, summary: `result type "string" has no numeric value`},
		{name: "not Prometheus", query: "garbage", crit: five, state: Unknown,
			summary: "query " + srv.URL + ": HTTP 200, not the Prometheus API: invalid character '<' looking for beginning of value"},
	})
}

// TestQueryRealPrometheus runs the prometheus kind against a real
// Prometheus (Debian package prometheus) on loopback; constant PromQL
// expressions need no scrape target.
func TestQueryRealPrometheus(t *testing.T) {
	bin := "/usr/bin/prometheus"
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s missing: install it with apt-get install prometheus (make deps)", bin)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global: {scrape_interval: 1h}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := loopback.Addr(t)
	hostPort := loopback.HostPort(addr, loopback.Port(t, addr))
	_, out := proctest.Start(t, bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+hostPort)
	url := "http://" + hostPort
	ready := func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/-/ready", nil)
		resp, err := (&http.Client{}).Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	for deadline := time.Now().Add(60 * time.Second); !ready(); {
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after 60s:\n%s", out)
		}
		select {
		case <-t.Context().Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	five, ten := ptr(5), ptr(10)
	runPromCases(t, url, []promCase{
		{name: "vector within", query: "vector(3)", warn: five, crit: ten, state: OK,
			summary: "value 3 within thresholds (warning 5, critical 10) over 1 series"},
		{name: "vector critical", query: "vector(12)", warn: five, crit: ten, state: Critical,
			summary: "value 12 beyond critical of thresholds (warning 5, critical 10) over 1 series"},
		{name: "scalar warning", query: "scalar(vector(7))", warn: five, crit: ten, state: Warning,
			summary: "value 7 beyond warning of thresholds (warning 5, critical 10) over 1 series"},
		{name: "no data, policy critical", query: `up{job="none"}`, crit: ten, noData: specs.NoDataCritical, state: Critical,
			summary: "query returned no data (noData: critical)"},
		{name: "no data, policy unknown", query: `up{job="none"}`, crit: ten, noData: specs.NoDataUnknown, state: Unknown,
			summary: "query returned no data (noData: unknown)"},
		{name: "bad PromQL", query: "sum(", crit: ten, state: Unknown,
			summary: "query " + url + `: bad_data: invalid parameter "query": 1:5: parse error: unclosed left parenthesis`},
	})
}

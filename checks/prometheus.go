package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pacer.dev/pacer/specs"
)

// Querier runs prometheus checks with Prometheus' HTTP API
// (GET /api/v1/query, an instant query).
type Querier struct {
	HTTP *http.Client
	Now  func() time.Time
}

// queryResponse is the body of /api/v1/query.
type queryResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// sample is one [unix time, "value"] pair.
type sample [2]any

// Query runs c's PromQL query and compares the worst value (the largest,
// or the smallest with below) with the thresholds. A failed query is
// UNKNOWN; no sample gives the noData state.
func (q *Querier) Query(ctx context.Context, c *specs.Check) Result {
	pq := c.Query
	start := q.Now()
	done := func(r Result) Result {
		r.Started, r.Duration = start, q.Now().Sub(start)
		return r
	}
	values, err := q.values(ctx, pq)
	if err != nil {
		return done(Result{State: Unknown, Summary: err.Error()})
	}
	if len(values) == 0 {
		return done(Result{State: noDataState(pq.NoData), Summary: fmt.Sprintf("query returned no data (noData: %s)", pq.NoData)})
	}
	worst := values[0]
	for _, v := range values[1:] {
		if pq.Below && v < worst || !pq.Below && v > worst {
			worst = v
		}
	}
	beyond := func(limit *float64) bool {
		if limit == nil {
			return false
		}
		if pq.Below {
			return worst < *limit
		}
		return worst > *limit
	}
	st, word := OK, "within"
	switch {
	case math.IsNaN(worst):
		st, word = Unknown, "not comparable with"
	case beyond(pq.Critical):
		st, word = Critical, "beyond critical of"
	case beyond(pq.Warning):
		st, word = Warning, "beyond warning of"
	}
	limits := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	summary := fmt.Sprintf("value %s %s thresholds (warning %s, critical %s) over %d series",
		strconv.FormatFloat(worst, 'g', -1, 64), word, orNone(limits(pq.Warning)), orNone(limits(pq.Critical)), len(values))
	return done(Result{State: st, Summary: summary,
		Perfdata: []Perf{{Label: "value", Value: worst, Warn: limits(pq.Warning), Crit: limits(pq.Critical)}}})
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func noDataState(policy string) State {
	switch policy {
	case specs.NoDataOK:
		return OK
	case specs.NoDataWarning:
		return Warning
	case specs.NoDataCritical:
		return Critical
	}
	return Unknown
}

func (q *Querier) values(ctx context.Context, pq *specs.PrometheusQuery) ([]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, pq.Timeout)
	defer cancel()
	u := strings.TrimSuffix(pq.URL, "/") + "/api/v1/query?" + url.Values{"query": {pq.Query}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", pq.URL, err)
	}
	resp, err := q.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("query %s: timed out after %s", pq.URL, pq.Timeout)
		}
		return nil, fmt.Errorf("query %s: %w", pq.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("query %s: read: %w", pq.URL, err)
	}
	var qr queryResponse
	if err := json.Unmarshal(body, &qr); err != nil {
		return nil, fmt.Errorf("query %s: HTTP %d, not the Prometheus API: %w", pq.URL, resp.StatusCode, err)
	}
	if qr.Status != "success" {
		return nil, fmt.Errorf("query %s: %s: %s", pq.URL, qr.ErrorType, qr.Error)
	}
	return resultValues(qr.Data.ResultType, qr.Data.Result)
}

// resultValues reads the values of a vector, a scalar or a matrix (the
// last sample of each series).
func resultValues(kind string, raw json.RawMessage) ([]float64, error) {
	var samples []sample
	switch kind {
	case "scalar":
		var s sample
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("decode scalar: %w", err)
		}
		samples = []sample{s}
	case "vector":
		var series []struct{ Value sample }
		if err := json.Unmarshal(raw, &series); err != nil {
			return nil, fmt.Errorf("decode vector: %w", err)
		}
		for _, s := range series {
			samples = append(samples, s.Value)
		}
	case "matrix":
		var series []struct{ Values []sample }
		if err := json.Unmarshal(raw, &series); err != nil {
			return nil, fmt.Errorf("decode matrix: %w", err)
		}
		for _, s := range series {
			if len(s.Values) > 0 {
				samples = append(samples, s.Values[len(s.Values)-1])
			}
		}
	default:
		return nil, fmt.Errorf("result type %q has no numeric value", kind)
	}
	out := make([]float64, 0, len(samples))
	for _, s := range samples {
		str, _ := s[1].(string)
		v, err := strconv.ParseFloat(str, 64) // Prometheus writes NaN, +Inf, -Inf as such
		if err != nil {
			return nil, fmt.Errorf("sample value %v: %w", s[1], err)
		}
		out = append(out, v)
	}
	return out, nil
}

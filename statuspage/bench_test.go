package statuspage

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"pacer.dev/pacer/status"
)

// firstByteRecorder notes when the first body byte is written.
type firstByteRecorder struct {
	*httptest.ResponseRecorder
	start time.Time
	first time.Duration
}

func (r *firstByteRecorder) Write(b []byte) (int, error) {
	if r.first == 0 {
		r.first = time.Since(r.start)
	}
	return r.ResponseRecorder.Write(b)
}

// BenchmarkOverview10k renders pages of a 10,000-app cluster with 1,000
// custom checks (50 CRITICAL): the first page of the overview (200 apps,
// problems first), a filtered one, a search, an app page and the revision
// page; ms/first-byte is the time to the first body byte, ns/op the whole
// page.
func BenchmarkOverview10k(b *testing.B) {
	for _, target := range []string{"/", "/?problems=1&page=2", "/?q=app0999", "/apps/services/svc49/env9/app09999", "/revision"} {
		b.Run(target, func(b *testing.B) {
			c := bigCluster(10000)
			cs := bigChecks(c, 1000)
			h := newPage(b, c, func(o *Options) { o.Checks = func() []status.Check { return cs } }).Handler(nil)
			var first time.Duration
			for b.Loop() {
				w := &firstByteRecorder{ResponseRecorder: httptest.NewRecorder(), start: time.Now()}
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
				if w.Code != 200 {
					b.Fatalf("GET %s = %d", target, w.Code)
				}
				first += w.first
			}
			b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "ms/first-byte")
		})
	}
}

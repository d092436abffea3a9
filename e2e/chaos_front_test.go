package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// chaosFront is a misbehaving HTTP front between pacer and Marathon (the
// fault recorder in front of marathon-sim): while a mode is set it answers
// Marathon's read API (every GET under /v2/ but the event stream) or the
// event stream (/v2/events) badly, as a broken Marathon, a proxy or a
// network in between would. Writes always pass through: the recorder
// behind counts the ones Marathon accepted.
type chaosFront struct {
	URL    string
	target *url.URL
	proxy  *httputil.ReverseProxy
	srv    *httptest.Server

	api    atomic.Value // apiMode
	events atomic.Value // eventsMode
	// streams counts the event stream connections pacer opened.
	streams atomic.Int64
	// apiBad counts the read requests answered badly.
	apiBad atomic.Int64
	// writeDelay (nanoseconds) holds every write this long before it goes
	// on to Marathon; a write whose client went away meanwhile is dropped.
	// writesHeld counts the writes that arrived.
	writeDelay, writesHeld atomic.Int64
}

// apiMode is how the front answers a read of the Marathon API.
type apiMode string

const (
	apiHealthy     apiMode = ""
	apiMalformed   apiMode = "malformed"   // 200, application/json, not JSON
	apiTruncated   apiMode = "truncated"   // Content-Length of the whole answer, half of it sent
	apiHuge        apiMode = "huge"        // Marathon's answer behind a 50 MB unknown field
	apiDrip        apiMode = "drip"        // Marathon's answer at 1 byte/s
	apiHTML        apiMode = "html"        // nginx's 502 page
	apiContentType apiMode = "contentType" // 200, application/octet-stream, gzip bytes
)

// eventsMode is how the front serves /v2/events.
type eventsMode string

const (
	eventsHealthy eventsMode = ""
	eventsGarbage eventsMode = "garbage" // lines that are no SSE, data that is no JSON
	eventsHuge    eventsMode = "huge"    // one 8 MB event, then keep-alives
	eventsSilent  eventsMode = "silent"  // headers, then not one byte
	eventsFlap    eventsMode = "flap"    // Marathon's stream, closed after 1 s
)

// hugeSize is the size of the huge answer: issue 20 asks for 50 MB.
const hugeSize = 50 << 20

func newChaosFront(t *testing.T, target string) *chaosFront { return newChaosFrontTB(t, target) }

func newChaosFrontTB(t testing.TB, target string) *chaosFront {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f := &chaosFront{target: u}
	f.api.Store(apiHealthy)
	f.events.Store(eventsHealthy)
	f.proxy = httputil.NewSingleHostReverseProxy(u)
	f.proxy.FlushInterval = -1
	f.proxy.ErrorLog = nil
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	f.URL, f.srv = srv.URL, srv
	return f
}

// cut closes every connection pacer holds to the front, the event stream
// included.
func (f *chaosFront) cut() { f.srv.CloseClientConnections() }

func (f *chaosFront) setAPI(m apiMode)       { f.api.Store(m) }
func (f *chaosFront) setEvents(m eventsMode) { f.events.Store(m) }

func (f *chaosFront) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/v2/events":
		f.streams.Add(1)
		f.serveEvents(w, r, f.events.Load().(eventsMode))
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v2/") && f.api.Load().(apiMode) != apiHealthy:
		f.apiBad.Add(1)
		f.serveAPI(w, r, f.api.Load().(apiMode))
	case r.Method != http.MethodGet && r.Method != http.MethodHead && f.writeDelay.Load() > 0:
		f.writesHeld.Add(1)
		select {
		case <-r.Context().Done():
			return
		case <-time.After(time.Duration(f.writeDelay.Load())):
		}
		f.proxy.ServeHTTP(w, r)
	default:
		f.proxy.ServeHTTP(w, r)
	}
}

// upstream reads Marathon's own answer to r.
func (f *chaosFront) upstream(r *http.Request) ([]byte, http.Header, int, error) {
	u := *f.target
	u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), nil)
	if err != nil {
		return nil, nil, 0, err
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.Header, resp.StatusCode, err
}

func (f *chaosFront) serveAPI(w http.ResponseWriter, r *http.Request, m apiMode) {
	switch m {
	case apiMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"apps":[{"id":"/services/shop/production/cart","instances":2,,}`)
		return
	case apiHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
		return
	case apiContentType:
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03})
		return
	}
	body, hdr, status, err := f.upstream(r)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", hdr.Get("Content-Type"))
	switch m {
	case apiTruncated:
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body[:len(body)/2])
		// Returning short of Content-Length makes net/http close the connection.
	case apiHuge:
		// {"padding":"xxx…", <Marathon's fields>}: valid JSON pacer must
		// read through (an unknown field), so the answer is good but big.
		rest, ok := bytes.CutPrefix(bytes.TrimSpace(body), []byte("{"))
		if !ok {
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"padding":"`)
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range hugeSize >> 20 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `",`)
		_, _ = w.Write(rest)
	case apiDrip:
		w.WriteHeader(status)
		for _, b := range body {
			if _, err := w.Write([]byte{b}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}

func (f *chaosFront) serveEvents(w http.ResponseWriter, r *http.Request, m eventsMode) {
	if m == eventsHealthy {
		f.proxy.ServeHTTP(w, r)
		return
	}
	if m == eventsFlap {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		f.proxy.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	fl.Flush()
	switch m {
	case eventsSilent:
		<-r.Context().Done()
		return
	case eventsHuge:
		_, _ = io.WriteString(w, "event: status_update_event\ndata: {\"eventType\":\"status_update_event\",\"appId\":\"/services/shop/production/cart\",\"taskStatus\":\"TASK_RUNNING\",\"padding\":\"")
		chunk := bytes.Repeat([]byte("y"), 1<<20)
		for range 8 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, "\"}\n\n")
		fl.Flush()
	}
	garbage := []string{
		"data: {not json at all\n\n",
		"event: deployment_success\ndata: [1,2,\n\n",
		"\x00\x01\x02 binary \xff\xfe\n",
		"event:\ndata:\n\n",
		"data: {\"eventType\":\"status_update_event\",\"appId\":42}\n\n",
		"retry: banana\nid: \n\n",
		strings.Repeat("z", 100_000) + "\n\n",
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		line := ": keep-alive\n"
		if m == eventsGarbage {
			line = garbage[i%len(garbage)]
		}
		if _, err := io.WriteString(w, line); err != nil {
			return
		}
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

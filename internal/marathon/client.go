package marathon

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-logr/logr"
)

// Options configure a Client.
type Options struct {
	// URLs are the Marathon masters, tried in order; a comma-separated list
	// in one element is split.
	URLs []string
	// HTTPClient is used for every request. Its Timeout should be zero or
	// larger than RequestTimeout. Defaults to a new client with sane
	// transport timeouts (never http.DefaultClient); Access.Resolve builds
	// one with the TLS trust of the flags and the Cluster spec.
	HTTPClient *http.Client
	// RequestTimeout bounds each attempt against one URL. Default 30s.
	RequestTimeout time.Duration
	// Credentials authenticate every request, the event stream included.
	Credentials Credentials
	// UserAgent is sent on every request. Default "pacer".
	UserAgent string
	// Retry is how a request that no URL answered (connection errors, 5xx)
	// is retried.
	Retry Retry
	// OnRetry, when set, is told about every retry (the next URL of a round
	// or the next round) instead of the V(0) log line the client writes
	// otherwise; the CLI prints it as progress.
	OnRetry func(RetryEvent)
}

// Retry is the backoff of requests that failed on every URL. Only network
// errors and 5xx are retried; 4xx answers are final.
type Retry struct {
	// Attempts is the number of rounds over all URLs, the first included.
	// Default 5; 1 disables retries.
	Attempts int
	// Initial is the wait after the first failed round, doubled after each
	// further one. Default 500ms.
	Initial time.Duration
	// Max caps the wait. Default 8s.
	Max time.Duration
	// After waits; default time.After. Tests inject an instant one.
	After func(time.Duration) <-chan time.Time
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 5
	}
	if r.Initial <= 0 {
		r.Initial = 500 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 8 * time.Second
	}
	if r.After == nil {
		r.After = time.After
	}
	return r
}

// Client is a raw-JSON Marathon v2 client with failover over several URLs.
// It is safe for concurrent use.
type Client struct {
	urls    []*url.URL
	http    *http.Client
	timeout time.Duration
	agent   string
	retry   Retry
	creds   Credentials
	onRetry func(RetryEvent)
	// current is the index of the URL that answered last.
	current atomic.Int32
}

// New validates opts and returns a Client.
func New(opts Options) (*Client, error) {
	var urls []*url.URL
	for _, raw := range opts.URLs {
		for _, s := range strings.Split(raw, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			u, err := parseURL(s)
			if err != nil {
				return nil, err
			}
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return nil, errors.New("no marathon url given")
	}
	c := &Client{urls: urls, http: opts.HTTPClient, timeout: opts.RequestTimeout, agent: opts.UserAgent,
		retry: opts.Retry.withDefaults(), creds: opts.Credentials, onRetry: opts.OnRetry}
	if c.http == nil {
		tr, err := Access{}.transport(nil)
		if err != nil {
			return nil, err
		}
		c.http = &http.Client{Transport: tr}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.agent == "" {
		c.agent = "pacer"
	}
	return c, nil
}

// displayURL is u for messages and logs: without user info, which may
// hold a password.
func displayURL(u *url.URL) string {
	v := *u
	v.User = nil
	return v.String()
}

// URL returns the Marathon URL currently preferred, without user info.
func (c *Client) URL() string { return displayURL(c.urls[c.current.Load()]) }

// do sends one request, failing over to the next URL on connection errors
// and 5xx and, when no URL answered, retrying every URL with exponential
// backoff. It decodes a 2xx JSON body into out (when out is not nil) and
// returns the response headers of the answering URL. Every retry is logged
// at V(0) (or handed to Options.OnRetry).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte, out any) (http.Header, error) {
	r := &retrier{c: c, ctx: ctx, method: method, path: path, of: c.retry.Attempts*len(c.urls) - 1}
	wait := c.retry.Initial
	for round := 1; ; round++ {
		hdr, final, err := c.round(ctx, r, method, path, query, body, out)
		if final || round >= c.retry.Attempts {
			return hdr, err
		}
		r.retry(displayURL(c.urls[c.current.Load()]), r.lastURL, r.lastErr, wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.retry.After(wait):
		}
		wait = min(2*wait, c.retry.Max)
	}
}

// RetryEvent is one retry of a request: the next attempt, after a failed one.
type RetryEvent struct {
	Method, Path string
	// URL is where the request goes next; Failed is the URL that failed
	// (the same one when a single URL is retried after a backoff).
	URL, Failed string
	// Retry counts the retries of this request, 1 first; Of is the most
	// there can be (rounds × URLs − 1).
	Retry, Of int
	// Reason is why the last attempt failed, short ("connection refused").
	Reason string
	// Backoff is the wait before the retry; zero when failing over at once.
	Backoff time.Duration
}

// String is the progress line the CLI prints, e.g.
// "retrying GET /v2/apps on http://m2:8080 (1/3): http://m1:8080: connection refused".
func (e RetryEvent) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "retrying %s %s on %s (%d/%d)", e.Method, e.Path, e.URL, e.Retry, e.Of)
	if e.Backoff > 0 {
		fmt.Fprintf(&b, " in %s", e.Backoff)
	}
	b.WriteString(": ")
	if e.Failed != e.URL {
		b.WriteString(e.Failed + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// retrier counts the retries of one request and reports each.
type retrier struct {
	c            *Client
	ctx          context.Context
	method, path string
	n, of        int
	lastURL      string
	lastErr      error
}

func (r *retrier) failed(u string, err error) { r.lastURL, r.lastErr = u, err }

func (r *retrier) retry(next, failed string, err error, backoff time.Duration) {
	r.n++
	ev := RetryEvent{Method: r.method, Path: r.path, URL: next, Failed: failed, Retry: r.n, Of: r.of, Reason: shortReason(err), Backoff: backoff}
	if r.c.onRetry != nil {
		r.c.onRetry(ev)
		return
	}
	logr.FromContextOrDiscard(r.ctx).Info("Retrying Marathon request", "method", ev.Method, "path", ev.Path, "url", ev.URL,
		"failedURL", ev.Failed, "retry", ev.Retry, "of", ev.Of, "backoff", ev.Backoff.String(), "reason", ev.Reason)
}

// shortReason is the cause of a failed attempt without the URL, which the
// retry line names already.
func shortReason(err error) string {
	var te *TimeoutError
	var nm *NotMarathonError
	var tl *TLSError
	switch {
	case err == nil:
		return "unknown error"
	case errors.As(err, &te):
		return fmt.Sprintf("no answer within %s", te.After)
	case errors.As(err, &nm):
		return strings.TrimPrefix(nm.Error(), nm.URL+" ")
	case errors.As(err, &tl):
		return strings.TrimPrefix(tl.Error(), tl.URL+": ")
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	}
	var ae *attemptError
	if errors.As(err, &ae) {
		return ae.err.Error()
	}
	return err.Error()
}

// attemptError is a failed attempt against one URL.
type attemptError struct {
	url       string // without user info
	err       error
	permanent bool // retrying cannot help (untrusted certificate, not Marathon)
	unknown   bool // a write was sent, its answer lost: never sent again
}

// isWrite reports whether method changes Marathon's state.
func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

func (e *attemptError) Error() string {
	msg := e.err.Error()
	if strings.Contains(msg, e.url) { // timeouts, TLS and HTML errors name it
		return msg
	}
	return e.url + ": " + msg
}

func (e *attemptError) Unwrap() error { return e.err }

// bodyDecoder is an out value of do that decodes a 2xx body as it streams
// in, instead of from a buffer holding all of it (the app list of a large
// cluster is tens of megabytes).
type bodyDecoder interface {
	decodeBody(r io.Reader) error
}

// round tries every URL once, starting with the one that answered last. final
// is false when no URL answered and a retry may help.
func (c *Client) round(ctx context.Context, r *retrier, method, path string, query url.Values, body []byte, out any) (hdr http.Header, final bool, err error) {
	start := int(c.current.Load())
	var errs []error
	permanent := true
	for i := range c.urls {
		if err := ctx.Err(); err != nil {
			return nil, true, err
		}
		idx := (start + i) % len(c.urls)
		u := c.urls[idx]
		res, err := c.attempt(ctx, u, method, path, query, body, out)
		if err == nil && res.status >= 500 {
			err = &attemptError{url: displayURL(u), err: mapError(res.status, res.data)}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, true, ctx.Err()
			}
			var ae *attemptError
			if errors.As(err, &ae) && ae.unknown {
				return nil, true, err
			}
			permanent = permanent && errors.As(err, &ae) && ae.permanent
			errs = append(errs, err)
			r.failed(displayURL(u), err)
			if i < len(c.urls)-1 {
				r.retry(displayURL(c.urls[(idx+1)%len(c.urls)]), displayURL(u), err, 0)
			}
			continue
		}
		c.current.Store(int32(idx))
		c.followLeader(res.hdr)
		if res.status == http.StatusUnauthorized || res.status == http.StatusForbidden {
			return res.hdr, true, &AuthError{URL: displayURL(u), Status: res.status, Sent: c.creds.String()}
		}
		if res.status < 200 || res.status > 299 {
			return res.hdr, true, mapError(res.status, res.data)
		}
		if res.decodeErr != nil {
			return res.hdr, true, fmt.Errorf("decode %s %s response from %s: %w", method, path, displayURL(u), res.decodeErr)
		}
		if out != nil && !res.streamed && len(res.data) > 0 {
			if err := json.Unmarshal(res.data, out); err != nil {
				return res.hdr, true, fmt.Errorf("decode %s %s response from %s: %w", method, path, displayURL(u), err)
			}
		}
		return res.hdr, true, nil
	}
	return nil, permanent, fmt.Errorf("%w: %s %s: %w", ErrUnavailable, method, path, errors.Join(errs...))
}

// attemptResult is the answer of one URL.
type attemptResult struct {
	status    int
	hdr       http.Header
	data      []byte // the body, unless streamed
	streamed  bool   // a 2xx body went to out's bodyDecoder
	decodeErr error  // the bodyDecoder's error on a well-formed transfer
}

// errAttemptTimeout is the cause of an attempt's context when its own
// timeout, not the caller's context, ended it.
var errAttemptTimeout = errors.New("attempt timed out")

func (c *Client) attempt(ctx context.Context, base *url.URL, method, path string, query url.Values, body []byte, out any) (attemptResult, error) {
	actx, cancel := context.WithTimeoutCause(ctx, c.timeout, errAttemptTimeout)
	defer cancel()
	var gotHeaders bool
	var wrote atomic.Bool // the request went out whole (httptrace)
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) }}
	res, err := c.send(httptrace.WithClientTrace(actx, trace), base, method, path, query, body, out, &gotHeaders)
	if err == nil {
		return res, nil
	}
	fail := &attemptError{url: displayURL(base), err: err}
	var nm *NotMarathonError
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case ctx.Err() == nil && errors.Is(context.Cause(actx), errAttemptTimeout):
		fail.err = &TimeoutError{URL: displayURL(base), After: c.timeout, Partial: gotHeaders}
	case errors.As(err, &nm):
		fail.permanent = nm.Status < 500
	case errors.As(err, &cv), errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &ci):
		fail.err, fail.permanent = &TLSError{URL: displayURL(base), Err: unwrapURLError(err)}, true
	default:
		fail.err = unwrapURLError(err)
	}
	// A write that went out but whose answer was lost may have been
	// applied: neither another round nor another URL may send it again.
	if isWrite(method) && wrote.Load() && ctx.Err() == nil {
		fail.err = &OutcomeUnknownError{Method: method, Path: path, URL: displayURL(base), Err: fail.err}
		fail.unknown = true
	}
	return attemptResult{}, fail
}

// unwrapURLError drops net/http's "Get \"URL\": " prefix; our errors name
// the URL themselves.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// send does one HTTP exchange and reads (or streams) the body; it sets
// *gotHeaders once the response headers are in.
func (c *Client) send(ctx context.Context, base *url.URL, method, path string, query url.Values, body []byte, out any, gotHeaders *bool) (attemptResult, error) {
	u := *base
	u.Path = base.Path + path
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return attemptResult{}, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.agent)
	c.creds.apply(req.Header)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return attemptResult{}, err
	}
	defer resp.Body.Close()
	*gotHeaders = true
	res := attemptResult{status: resp.StatusCode, hdr: resp.Header}
	br := bufio.NewReaderSize(resp.Body, 512)
	if err := checkMarathonAnswer(base, resp, br); err != nil {
		return attemptResult{}, err
	}
	if sd, ok := out.(bodyDecoder); ok && res.status >= 200 && res.status <= 299 {
		body := &errReader{r: br}
		res.streamed = true
		if err := sd.decodeBody(body); err != nil {
			if body.err != nil {
				// The transfer broke (another URL may answer), the JSON did not.
				return attemptResult{}, fmt.Errorf("read response: %w", body.err)
			}
			res.decodeErr = err
		}
		return res, nil
	}
	res.data, err = io.ReadAll(br)
	if err != nil {
		return attemptResult{}, fmt.Errorf("read response: %w", err)
	}
	return res, nil
}

// errReader remembers the first read error other than io.EOF, telling a
// broken transfer from malformed JSON.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

// followLeader prefers the elected leader for the next calls when Marathon
// names it (X-Marathon-Leader) and it is one of our URLs: standbys proxy to
// the leader anyway, so talking to it directly saves a hop.
func (c *Client) followLeader(h http.Header) {
	leader := h.Get("X-Marathon-Leader")
	if leader == "" {
		return
	}
	lu, err := url.Parse(leader)
	if err != nil {
		return
	}
	for i, u := range c.urls {
		if u.Host == lu.Host {
			c.current.Store(int32(i))
			return
		}
	}
}

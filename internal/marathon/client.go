package marathon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
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
	// transport timeouts (never http.DefaultClient).
	HTTPClient *http.Client
	// RequestTimeout bounds each attempt against one URL. Default 30s.
	RequestTimeout time.Duration
	// UserAgent is sent on every request. Default "pacer".
	UserAgent string
	// Retry is how a request that no URL answered (connection errors, 5xx)
	// is retried.
	Retry Retry
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
			u, err := url.Parse(s)
			if err != nil {
				return nil, fmt.Errorf("parse marathon url: %w", err)
			}
			if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
				return nil, fmt.Errorf("marathon url %s: want http(s)://host[:port]", u.Redacted())
			}
			u.Path = strings.TrimSuffix(u.Path, "/")
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return nil, errors.New("no marathon url given")
	}
	c := &Client{urls: urls, http: opts.HTTPClient, timeout: opts.RequestTimeout, agent: opts.UserAgent, retry: opts.Retry.withDefaults()}
	if c.http == nil {
		c.http = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 0,
		}}
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.agent == "" {
		c.agent = "pacer"
	}
	return c, nil
}

// URL returns the Marathon URL currently preferred (redacted).
func (c *Client) URL() string { return c.urls[c.current.Load()].Redacted() }

// do sends one request, failing over to the next URL on connection errors
// and 5xx and, when no URL answered, retrying every URL with exponential
// backoff. It decodes a 2xx JSON body into out (when out is not nil) and
// returns the response headers of the answering URL.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte, out any) (http.Header, error) {
	wait := c.retry.Initial
	for round := 1; ; round++ {
		hdr, final, err := c.round(ctx, method, path, query, body, out)
		if final || round >= c.retry.Attempts {
			return hdr, err
		}
		logr.FromContextOrDiscard(ctx).V(1).Info("Retrying Marathon request", "method", method, "path", path, "attempt", round+1, "backoff", wait.String(), "error", err.Error())
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.retry.After(wait):
		}
		wait = min(2*wait, c.retry.Max)
	}
}

// bodyDecoder is an out value of do that decodes a 2xx body as it streams
// in, instead of from a buffer holding all of it (the app list of a large
// cluster is tens of megabytes).
type bodyDecoder interface {
	decodeBody(r io.Reader) error
}

// round tries every URL once, starting with the one that answered last. final
// is false when no URL answered (the round may be retried).
func (c *Client) round(ctx context.Context, method, path string, query url.Values, body []byte, out any) (hdr http.Header, final bool, err error) {
	start := int(c.current.Load())
	var last error
	for i := range c.urls {
		if err := ctx.Err(); err != nil {
			return nil, true, err
		}
		idx := (start + i) % len(c.urls)
		res, err := c.attempt(ctx, c.urls[idx], method, path, query, body, out)
		if err != nil {
			if ctx.Err() != nil {
				return nil, true, ctx.Err()
			}
			last = err
			continue
		}
		if res.status >= 500 {
			last = fmt.Errorf("%s: %w", c.urls[idx].Redacted(), mapError(res.status, res.data))
			continue
		}
		c.current.Store(int32(idx))
		c.followLeader(res.hdr)
		if res.status < 200 || res.status > 299 {
			return res.hdr, true, mapError(res.status, res.data)
		}
		if res.decodeErr != nil {
			return res.hdr, true, fmt.Errorf("decode %s %s response: %w", method, path, res.decodeErr)
		}
		if out != nil && !res.streamed && len(res.data) > 0 {
			if err := json.Unmarshal(res.data, out); err != nil {
				return res.hdr, true, fmt.Errorf("decode %s %s response: %w", method, path, err)
			}
		}
		return res.hdr, true, nil
	}
	return nil, false, fmt.Errorf("%w: %w", ErrUnavailable, last)
}

// attemptResult is the answer of one URL.
type attemptResult struct {
	status    int
	hdr       http.Header
	data      []byte // the body, unless streamed
	streamed  bool   // a 2xx body went to out's bodyDecoder
	decodeErr error  // the bodyDecoder's error on a well-formed transfer
}

func (c *Client) attempt(ctx context.Context, base *url.URL, method, path string, query url.Values, body []byte, out any) (attemptResult, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
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
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return attemptResult{}, err
	}
	defer resp.Body.Close()
	res := attemptResult{status: resp.StatusCode, hdr: resp.Header}
	if sd, ok := out.(bodyDecoder); ok && res.status >= 200 && res.status <= 299 {
		body := &errReader{r: resp.Body}
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
	res.data, err = io.ReadAll(resp.Body)
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

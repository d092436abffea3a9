package marathonsim

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"pacer.dev/pacer/marathonsim/internal/events"
)

// HTTP callback event subscriptions, Marathon 1.4.13's
// `--event_subscriber http_callback` (paths below are under
// src/main/scala/mesosphere/marathon/ at v1.4.13):
//   - /v2/eventSubscriptions GET lists the callback URLs, POST and DELETE
//     ?callbackUrl= add and remove one and answer the subscribe_event or
//     unsubscribe_event they publish (api/v2/EventSubscriptionsResource.scala,
//     core/event/impl/callback/ActorHttpCallbackSubscriptionService.scala);
//   - without the option every call is a BadRequestException with
//     NoopHttpCallbackSubscriptionService's text;
//   - every event is POSTed as its JSON to every URL
//     (core/event/impl/callback/HttpEventActor.scala).

// callbackDisabled is NoopHttpCallbackSubscriptionService.ERROR_MESSAGE
// (core/event/impl/callback/NoopHttpCallbackSubscriptionService.scala:9-11).
const callbackDisabled = "http event callback system is not running on this Marathon instance. Please re-start this instance with\n\"--event_subscriber http_callback\"."

// callbackTimeout bounds one POST to a subscriber, as Marathon's
// --event_request_timeout (default 10 s, core/event/EventConf.scala).
const callbackTimeout = 10 * time.Second

// callbacks holds the subscribers and posts events to them in order, from
// one goroutine, so a slow subscriber delays the others but never a
// request of the simulator.
type callbacks struct {
	mu     sync.Mutex
	urls   []string // in subscription order
	queue  chan []byte
	done   chan struct{}
	client *http.Client
	wg     sync.WaitGroup
}

func newCallbacks() *callbacks {
	c := &callbacks{queue: make(chan []byte, 4096), done: make(chan struct{}), client: &http.Client{Timeout: callbackTimeout}}
	c.wg.Add(1)
	go c.run()
	return c
}

func (c *callbacks) subscribers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string{}, c.urls...)
}

// any reports whether there is a subscriber.
func (c *callbacks) any() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.urls) > 0
}

// add and remove are SubscribersKeeperActor's: a URL is listed once.
func (c *callbacks) add(u string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.urls {
		if x == u {
			return
		}
	}
	c.urls = append(c.urls, u)
}

func (c *callbacks) remove(u string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.urls {
		if x == u {
			c.urls = append(c.urls[:i], c.urls[i+1:]...)
			return
		}
	}
}

// enqueue queues one event for the subscribers; when the queue is full the
// event is dropped, as Marathon drops what it cannot deliver.
func (c *callbacks) enqueue(eventType string, payload any, at time.Time) {
	if !c.any() {
		return
	}
	data, err := events.JSON(eventType, payload, at)
	if err != nil {
		return
	}
	select {
	case c.queue <- data:
	default:
	}
}

func (c *callbacks) run() {
	defer c.wg.Done()
	for {
		select {
		case <-c.done:
			return
		case data := <-c.queue:
			for _, u := range c.subscribers() {
				c.post(u, data)
			}
		}
	}
}

// post sends one event with HttpEventActor's request: POST, JSON body,
// Accept: application/json. Failures are dropped (Marathon logs them and
// backs off the URL; see DEVIATIONS.md).
func (c *callbacks) post(u string, data []byte) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(data))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return
	}
	_ = resp.Body.Close()
}

func (c *callbacks) close() {
	close(c.done)
	c.wg.Wait()
}

// handleEventSubscriptions serves /v2/eventSubscriptions.
func (s *Server) handleEventSubscriptions(w http.ResponseWriter, r *http.Request) {
	if s.callbacks == nil {
		writeErr(w, errMsg(400, "%s", callbackDisabled))
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, 200, map[string]any{"callbackUrls": s.callbacks.subscribers()})
	case http.MethodPost, http.MethodDelete:
		cb := r.URL.Query().Get("callbackUrl")
		typ := "unsubscribe_event"
		if r.Method == http.MethodPost {
			// EventSubscriptionsResource.httpCallbackValidator: urlIsValid,
			// java.net.URL's parse (api/v2/Validation.scala).
			if u, err := url.Parse(cb); err != nil || u.Scheme == "" {
				writeJSON(w, 422, map[string]any{"message": "Object is not valid", "details": []violation{{Path: "/", Errors: []string{malformedURL(cb)}}}})
				return
			}
			typ = "subscribe_event"
			s.callbacks.add(cb)
		} else {
			s.callbacks.remove(cb)
		}
		payload := map[string]any{"clientIp": clientIP(r), "callbackUrl": cb}
		s.lock()
		at := s.clock.Now()
		s.publish(typ, payload)
		s.unlock()
		data, err := events.JSON(typ, payload, at)
		if err != nil {
			writeErr(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(200)
		_, _ = w.Write(data)
	default:
		writeErr(w, errMsg(405, "HTTP 405 Method Not Allowed"))
	}
}

// malformedURL is java.net.MalformedURLException's message for a URL
// without a known protocol.
func malformedURL(u string) string {
	if u == "" {
		return "no protocol: "
	}
	return "no protocol: " + u
}

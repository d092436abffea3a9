package conformance

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim"
)

// TestEventSubscriptionsDisabled: without --event_subscriber http_callback,
// Marathon 1.4.13 binds NoopHttpCallbackSubscriptionService, whose every
// call fails with a BadRequestException (core/event/impl/callback/
// NoopHttpCallbackSubscriptionService.scala:8-18; api/MarathonExceptionMapper
// .scala:53 → 400 {"message": ...}).
func TestEventSubscriptionsDisabled(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	const body = `{"message":"http event callback system is not running on this Marathon instance. Please re-start this instance with\n\"--event_subscriber http_callback\"."}`
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		checkBody(t, m+" /v2/eventSubscriptions", s.do(m, "/v2/eventSubscriptions?callbackUrl=http://127.0.0.1:1/cb", nil), http.StatusBadRequest, body)
	}
	if es := get(s.must(http.StatusOK, http.MethodGet, "/v2/info", nil).json(t), "$.event_subscriber"); es != nil {
		t.Errorf("/v2/info event_subscriber = %v, want null", es)
	}
}

// callbackReceiver records the events POSTed to it.
type callbackReceiver struct {
	mu     sync.Mutex
	events []map[string]any
	bad    []string
}

func (c *callbackReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("Accept") != "application/json" {
		c.bad = append(c.bad, r.Method+" Accept="+r.Header.Get("Accept"))
	}
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		c.bad = append(c.bad, "body "+string(body))
	}
	c.events = append(c.events, ev)
}

func (c *callbackReceiver) types() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]bool{}
	for _, e := range c.events {
		out[e["eventType"].(string)] = true
	}
	return out
}

// TestEventSubscriptions: with http_callback, POST/DELETE
// /v2/eventSubscriptions?callbackUrl= add and remove a subscriber and
// answer the subscribe_event/unsubscribe_event they publish
// (api/v2/EventSubscriptionsResource.scala:36-56, ActorHttpCallback
// SubscriptionService.scala:17-22), GET lists {"callbackUrls": [...]}
// (Formats.scala:704-708), an invalid URL fails urlIsValid (422), and every
// event is POSTed as JSON with Accept: application/json
// (core/event/impl/callback/HttpEventActor.scala:69-71, 105-115).
func TestEventSubscriptions(t *testing.T) {
	s := newSim(t, marathonsim.Options{EventSubscriber: "http_callback"})
	recv := &callbackReceiver{}
	hs := httptest.NewServer(recv)
	t.Cleanup(hs.Close)
	cb := hs.URL + "/callback"
	q := "?callbackUrl=" + url.QueryEscape(cb)

	sub := s.must(http.StatusOK, http.MethodPost, "/v2/eventSubscriptions"+q, nil).json(t)
	checkShape(t, "v1.4.13-subscribe_event.json", recorded(t, "events/v1.4.13-subscribe_event.json"), sub, shapeOptions{})
	if get(sub, "$.callbackUrl") != cb || get(sub, "$.eventType") != "subscribe_event" {
		t.Errorf("POST answer %v, want the subscribe_event of %s", sub, cb)
	}
	s.must(http.StatusOK, http.MethodPost, "/v2/eventSubscriptions"+q, nil) // listed once
	checkBody(t, "GET /v2/eventSubscriptions", s.do(http.MethodGet, "/v2/eventSubscriptions", nil), http.StatusOK, `{"callbackUrls":["`+cb+`"]}`)
	if typ := get(s.must(http.StatusOK, http.MethodGet, "/v2/info", nil).json(t), "$.event_subscriber.type"); typ != "http_callback" {
		t.Errorf("/v2/info event_subscriber.type = %v, want http_callback", typ)
	}
	r := s.do(http.MethodPost, "/v2/eventSubscriptions?callbackUrl=not-a-url", nil)
	checkBody(t, "POST invalid callbackUrl", r, http.StatusUnprocessableEntity,
		`{"message":"Object is not valid","details":[{"path":"/","errors":["no protocol: not-a-url"]}]}`)

	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/cb-app"))
	eventually(t, 10*time.Second, "api_post_event and deployment_success POSTed to the subscriber", func() bool {
		ty := recv.types()
		return ty["subscribe_event"] && ty["api_post_event"] && ty["deployment_success"]
	})
	recv.mu.Lock()
	if len(recv.bad) > 0 {
		t.Errorf("callback requests not as HttpEventActor sends them: %v", recv.bad)
	}
	recv.mu.Unlock()

	unsub := s.must(http.StatusOK, http.MethodDelete, "/v2/eventSubscriptions"+q, nil).json(t)
	checkShape(t, "v1.4.13-unsubscribe_event.json", recorded(t, "events/v1.4.13-unsubscribe_event.json"), unsub, shapeOptions{})
	checkBody(t, "GET after DELETE", s.do(http.MethodGet, "/v2/eventSubscriptions", nil), http.StatusOK, `{"callbackUrls":[]}`)
}

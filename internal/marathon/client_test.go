package marathon

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recorder is an httptest handler answering with a fixed status and body
// and recording what it was asked.
type recorder struct {
	status int
	body   string
	header map[string]string
	got    []string // "METHOD path?query body"
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.got = append(r.got, req.Method+" "+req.URL.RequestURI()+" "+string(b))
	for k, v := range r.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, r.body)
}

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// deadURL is an address nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

func TestFailover(t *testing.T) {
	good := &recorder{status: 200, body: `[]`}
	bad := &recorder{status: 503, body: `{"message":"Could not determine the current leader"}`}
	goodURL := newServer(t, good)
	badURL := newServer(t, bad)
	c, err := New(Options{URLs: []string{deadURL(t) + "," + badURL, goodURL}, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Deployments(t.Context()); err != nil {
		t.Fatalf("Deployments: %v", err)
	}
	if c.URL() != goodURL {
		t.Errorf("current URL = %s, want %s", c.URL(), goodURL)
	}
	// The working URL is remembered: the bad one is not asked again.
	if _, err := c.Deployments(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(bad.got) != 1 || len(good.got) != 2 {
		t.Errorf("requests: bad %d, good %d; want 1, 2", len(bad.got), len(good.got))
	}
}

// instantRetry retries without waiting and records the backoffs asked for.
func instantRetry(attempts int, waits *[]time.Duration) Retry {
	return Retry{Attempts: attempts, Initial: 100 * time.Millisecond, Max: 300 * time.Millisecond,
		After: func(d time.Duration) <-chan time.Time {
			*waits = append(*waits, d)
			ch := make(chan time.Time, 1)
			ch <- time.Time{}
			return ch
		}}
}

func TestAllUnavailable(t *testing.T) {
	bad := &recorder{status: 502, body: `{"message":"Detected proxying loop."}`}
	var waits []time.Duration
	c, err := New(Options{URLs: []string{deadURL(t), newServer(t, bad)}, Retry: instantRetry(4, &waits)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListApps(t.Context())
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if diff := cmp.Diff([]time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}, waits); diff != "" {
		t.Errorf("backoffs (-want +got):\n%s", diff)
	}
	if len(bad.got) != 4 {
		t.Errorf("the 502 URL was asked %d times, want once per attempt (4)", len(bad.got))
	}
}

// flaky answers 503 for its first n requests, then 200 with body.
type flaky struct {
	n    int
	body string
	got  int
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.got++
	if f.got <= f.n {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"message":"simulated"}`)
		return
	}
	_, _ = io.WriteString(w, f.body)
}

func TestRetry(t *testing.T) {
	for _, tc := range []struct {
		name      string
		failures  int
		attempts  int
		wantErr   error
		wantCalls int
	}{
		{"recovers after two 503s", 2, 5, nil, 3},
		{"gives up after the last attempt", 9, 3, ErrUnavailable, 3},
		{"no retries", 1, 1, ErrUnavailable, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &flaky{n: tc.failures, body: `{"version":"v","deploymentId":"d1"}`}
			var waits []time.Duration
			c, err := New(Options{URLs: []string{newServer(t, h)}, Retry: instantRetry(tc.attempts, &waits)})
			if err != nil {
				t.Fatal(err)
			}
			id, err := c.PutApp(t.Context(), "/a", []byte(`{}`), false)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && id != "d1" {
				t.Errorf("deployment id = %q, want d1", id)
			}
			if h.got != tc.wantCalls {
				t.Errorf("requests = %d, want %d", h.got, tc.wantCalls)
			}
		})
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	h := &recorder{status: 422, body: `{"message":"Object is not valid","details":[{"path":"/cpus","errors":["must be positive"]}]}`}
	var waits []time.Duration
	c, err := New(Options{URLs: []string{newServer(t, h)}, Retry: instantRetry(5, &waits)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutApp(t.Context(), "/a", []byte(`{}`), false); !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if len(h.got) != 1 || len(waits) != 0 {
		t.Errorf("a 422 was retried: %d requests, waits %v", len(h.got), waits)
	}
}

func TestFollowLeader(t *testing.T) {
	leader := &recorder{status: 200, body: `[]`}
	leaderURL := newServer(t, leader)
	standby := &recorder{status: 200, body: `[]`, header: map[string]string{"X-Marathon-Leader": leaderURL}}
	standbyURL := newServer(t, standby)
	c, err := New(Options{URLs: []string{standbyURL, leaderURL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Deployments(t.Context()); err != nil {
		t.Fatal(err)
	}
	if c.URL() != leaderURL {
		t.Errorf("after a proxied answer the client prefers %s, want the leader %s", c.URL(), leaderURL)
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		is     error
		want   error
	}{
		{"not found", 404, `{"message":"App '/x' does not exist"}`, ErrNotFound, nil},
		{"locked", 409, `{"message":"App is locked by one or more deployments.","deployments":[{"id":"d1"},{"id":"d2"}]}`, ErrLocked,
			&LockedError{Message: "App is locked by one or more deployments.", DeploymentIDs: []string{"d1", "d2"}}},
		{"conflict", 409, `{"message":"An app with id [/x] already exists."}`, ErrConflict, nil},
		{"invalid 422", 422, `{"message":"Object is not valid","details":[{"path":"/upgradeStrategy/minimumHealthCapacity","errors":["is greater than 1"]}]}`, ErrInvalid,
			&InvalidError{Status: 422, Message: "Object is not valid", Violations: []Violation{{Path: "/upgradeStrategy/minimumHealthCapacity", Errors: []string{"is greater than 1"}}}}},
		{"invalid 400", 400, `{"message":"Invalid JSON","details":"Unexpected end-of-input"}`, ErrInvalid,
			&InvalidError{Status: 400, Message: "Invalid JSON", Details: "Unexpected end-of-input"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Options{URLs: []string{newServer(t, &recorder{status: tc.status, body: tc.body})}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.PutApp(t.Context(), "/x", []byte(`{}`), false)
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			switch want := tc.want.(type) {
			case *LockedError:
				var got *LockedError
				if !errors.As(err, &got) {
					t.Fatalf("err %v is not a *LockedError", err)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("LockedError (-want +got):\n%s", d)
				}
			case *InvalidError:
				var got *InvalidError
				if !errors.As(err, &got) {
					t.Fatalf("err %v is not an *InvalidError", err)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("InvalidError (-want +got):\n%s", d)
				}
			}
		})
	}
}

func TestWrites(t *testing.T) {
	def := `{"id":"/a/b","cmd":"x","cpus":0,"user":"","gpus":0,"killSelection":"OLDEST_FIRST"}`
	tests := []struct {
		name string
		call func(c *Client) (string, error)
		want string
	}{
		{"put sends the definition verbatim, not partial", func(c *Client) (string, error) {
			return c.PutApp(t.Context(), "/a/b", []byte(def), false)
		}, "PUT /v2/apps/a/b?partialUpdate=false " + def},
		{"put force", func(c *Client) (string, error) {
			return c.PutApp(t.Context(), "/a/b", []byte(def), true)
		}, "PUT /v2/apps/a/b?force=true&partialUpdate=false " + def},
		{"scale is partial", func(c *Client) (string, error) {
			return c.ScaleApp(t.Context(), "/a/b", 14, false)
		}, `PUT /v2/apps/a/b?partialUpdate=true {"instances":14}`},
		{"delete", func(c *Client) (string, error) {
			return c.DeleteApp(t.Context(), "/a/b", false)
		}, "DELETE /v2/apps/a/b?force=false "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{status: 200, body: `{"version":"2017-01-01T00:00:00.000Z","deploymentId":"dep-1"}`}
			c, err := New(Options{URLs: []string{newServer(t, rec)}})
			if err != nil {
				t.Fatal(err)
			}
			id, err := tc.call(c)
			if err != nil {
				t.Fatal(err)
			}
			if id != "dep-1" {
				t.Errorf("deployment id = %q, want dep-1", id)
			}
			if d := cmp.Diff([]string{tc.want}, rec.got); d != "" {
				t.Errorf("requests (-want +got):\n%s", d)
			}
		})
	}
}

func TestListApps(t *testing.T) {
	body := `{"apps":[{"id":"/db","instances":2,"labels":{"pacer.dev/managed-by":"pacer"},"version":"v1",
	"container":{"type":"MESOS","volumes":[{"containerPath":"data","mode":"RW","persistent":{"size":10}}]},
	"tasksStaged":0,"tasksRunning":2,"tasksHealthy":2,"tasksUnhealthy":0,"deployments":[{"id":"d1"}],
	"tasks":[{"id":"db.1","state":"TASK_RUNNING","host":"h1","ports":[31000],"healthCheckResults":[{"alive":true}]}],
	"lastTaskFailure":{"taskId":"db.0","state":"TASK_FAILED","message":"boom"}}]}`
	rec := &recorder{status: 200, body: body}
	c, err := New(Options{URLs: []string{newServer(t, rec)}})
	if err != nil {
		t.Fatal(err)
	}
	apps, err := c.ListApps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"GET /v2/apps?embed=apps.tasks&embed=apps.deployments&embed=apps.lastTaskFailure "}, rec.got); d != "" {
		t.Errorf("request (-want +got):\n%s", d)
	}
	if len(apps) != 1 {
		t.Fatalf("got %d apps", len(apps))
	}
	got := apps[0]
	got.Raw = nil
	want := App{
		ID: "/db", Instances: 2, Labels: map[string]string{"pacer.dev/managed-by": "pacer"}, Version: "v1",
		TasksRunning: 2, TasksHealthy: 2, DeploymentIDs: []string{"d1"}, PersistentVolumes: true,
		Tasks:           []Task{{ID: "db.1", State: "TASK_RUNNING", Host: "h1", Ports: []int{31000}, HealthCheckResults: []HealthCheckResult{{Alive: true}}}},
		LastTaskFailure: &TaskFailure{TaskID: "db.0", State: "TASK_FAILED", Message: "boom"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("app (-want +got):\n%s", d)
	}
}

func TestDeploymentsAndQueue(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/deployments", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Date", "Wed, 25 Nov 2026 12:00:00 GMT")
		_, _ = io.WriteString(w, `[{"id":"d1","version":"v","affectedApps":["/a"],"currentStep":1,"totalSteps":2,
		"currentActions":[{"type":"ScaleApplication","app":"/a"}]}]`)
	})
	mux.HandleFunc("GET /v2/queue", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"queue":[{"app":{"id":"/a"},"count":2,"delay":{"timeLeftSeconds":5,"overdue":false},"since":"s",
		"processedOffersSummary":{"processedOffersCount":10,"unusedOffersCount":7}}]}`)
	})
	c, err := New(Options{URLs: []string{newServer(t, mux)}})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := c.Deployments(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantD := []Deployment{{ID: "d1", Version: "v", AffectedApps: []string{"/a"}, CurrentStep: 1, TotalSteps: 2,
		CurrentActions: []Action{{Action: "ScaleApplication", Type: "ScaleApplication", App: "/a"}},
		AnsweredAt:     time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}}
	if d := cmp.Diff(wantD, ds); d != "" {
		t.Errorf("deployments (-want +got):\n%s", d)
	}
	q, err := c.Queue(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantQ := []QueueItem{{AppID: "/a", Count: 2, Delayed: true, TimeLeftSeconds: 5, Since: "s", UnusedOffers: 7, ProcessedOffers: 10}}
	if d := cmp.Diff(wantQ, q); d != "" {
		t.Errorf("queue (-want +got):\n%s", d)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, urls := range [][]string{nil, {""}, {"marathon:8080"}, {"ftp://x"}} {
		if _, err := New(Options{URLs: urls}); err == nil {
			t.Errorf("New(%q) succeeded, want an error", urls)
		}
	}
}

func TestListAppsBodies(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantIDs []string
		wantErr bool
	}{
		{name: "other keys skipped", body: `{"other":{"x":[1]},"apps":[{"id":"/a"},{"id":"/b"}],"more":null}`, wantIDs: []string{"/a", "/b"}},
		{name: "null apps", body: `{"apps":null}`},
		{name: "empty", body: `{"apps":[]}`},
		{name: "truncated", body: `{"apps":[{"id":"/a"},{"id":`, wantErr: true},
		{name: "not an object", body: `[]`, wantErr: true},
		{name: "app of the wrong type", body: `{"apps":[{"id":5}]}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{status: 200, body: tc.body}
			c, err := New(Options{URLs: []string{newServer(t, rec)}, Retry: Retry{Attempts: 1}})
			if err != nil {
				t.Fatal(err)
			}
			apps, err := c.ListApps(t.Context())
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			var ids []string
			for _, a := range apps {
				ids = append(ids, a.ID)
			}
			if d := cmp.Diff(tc.wantIDs, ids); d != "" {
				t.Errorf("ids (-want +got):\n%s", d)
			}
		})
	}
}

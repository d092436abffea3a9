package events

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	marathon "github.com/gambol99/go-marathon"
)

// goMarathonServer serves the bus at /v2/events next to the two endpoints a
// go-marathon client may touch on connect.
func goMarathonServer(t *testing.T) (*Bus, *httptest.Server) {
	t.Helper()
	bus := NewBus(Options{Now: fixedNow})
	mux := http.NewServeMux()
	mux.Handle("/v2/events", bus)
	mux.HandleFunc("/ping", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("pong\n"))
	})
	mux.HandleFunc("/v2/info", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"name":"marathon","version":"1.4.13","elected":true,"leader":"127.0.0.1:8080"}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		bus.Close()
		srv.Close()
	})
	return bus, srv
}

func sseClient(t *testing.T, srv *httptest.Server) marathon.Marathon {
	t.Helper()
	cfg := marathon.NewDefaultConfig()
	cfg.URL = srv.URL
	cfg.EventsTransport = marathon.EventsTransportSSE
	cfg.HTTPClient = srv.Client()
	client, err := marathon.NewClient(cfg)
	if err != nil {
		t.Fatalf("new go-marathon client: %v", err)
	}
	return client
}

func receive(t *testing.T, ch marathon.EventsChannel) *marathon.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("go-marathon listener got nothing within 10s")
	}
	return nil
}

// statusUpdate is shaped like Marathon 1.4's StatusUpdate event (BEHAVIOUR.md §8).
type statusUpdate struct {
	SlaveID     string      `json:"slaveId"`
	TaskID      string      `json:"taskId"`
	TaskStatus  string      `json:"taskStatus"`
	Message     string      `json:"message"`
	AppID       string      `json:"appId"`
	Host        string      `json:"host"`
	IPAddresses []ipAddress `json:"ipAddresses"`
	Ports       []int       `json:"ports"`
	Version     string      `json:"version"`
}

type ipAddress struct {
	IPAddress string `json:"ipAddress"`
	Protocol  string `json:"protocol"`
}

func TestGoMarathonSSEListener(t *testing.T) {
	bus, srv := goMarathonServer(t)
	client := sseClient(t, srv)
	ch, err := client.AddEventsListener(marathon.EventIDDeploymentSuccess | marathon.EventIDStatusUpdate)
	if err != nil {
		t.Fatalf("AddEventsListener: %v", err)
	}
	defer client.RemoveEventsListener(ch)
	waitSubscribers(t, bus, 1)

	bus.Publish("deployment_success", map[string]any{"id": "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43",
		"plan": map[string]any{"id": "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43", "steps": []any{}}})
	ev := receive(t, ch)
	ds, ok := ev.Event.(*marathon.EventDeploymentSuccess)
	if !ok || ev.ID != marathon.EventIDDeploymentSuccess {
		t.Fatalf("got %T (id %d), want *EventDeploymentSuccess", ev.Event, ev.ID)
	}
	if ds.ID != "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43" || ds.EventType != "deployment_success" || ds.Timestamp != fixedStamp {
		t.Errorf("deployment_success decoded as %+v", ds)
	}

	bus.Publish("group_change_success", map[string]string{"groupId": "/", "version": fixedStamp}) // filtered out by the client
	bus.Publish("status_update_event", statusUpdate{
		SlaveID: "agent-1", TaskID: "web.1", TaskStatus: "TASK_RUNNING", AppID: "/web", Host: "127.0.0.1",
		IPAddresses: []ipAddress{{"127.0.0.1", "IPv4"}}, Ports: []int{31001}, Version: "2017-01-01T00:00:00.000Z",
	})
	ev = receive(t, ch)
	su, ok := ev.Event.(*marathon.EventStatusUpdate)
	if !ok {
		t.Fatalf("got %T, want *EventStatusUpdate", ev.Event)
	}
	if su.TaskID != "web.1" || su.TaskStatus != "TASK_RUNNING" || su.AppID != "/web" || su.Host != "127.0.0.1" ||
		su.SlaveID != "agent-1" || len(su.Ports) != 1 || su.Ports[0] != 31001 ||
		len(su.IPAddresses) != 1 || su.IPAddresses[0].IPAddress != "127.0.0.1" || su.IPAddresses[0].Protocol != "IPv4" ||
		su.Version != "2017-01-01T00:00:00.000Z" || su.Timestamp != fixedStamp || su.EventType != "status_update_event" {
		t.Errorf("status_update_event decoded as %+v", su)
	}
	if st := bus.Stats(); st.Dropped != 0 || st.Subscribers[0].Delivered != 4 {
		t.Errorf("stats = %+v, want 4 delivered (attached, 3 events), none dropped", st)
	}
}

// TestGoMarathonReconnectsAfterDropAll shows the fault injection does what a
// lost Marathon connection does: the eventsource client reconnects (after its
// default 3 s retry) and keeps delivering.
func TestGoMarathonReconnectsAfterDropAll(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the eventsource 3 s retry")
	}
	bus, srv := goMarathonServer(t)
	client := sseClient(t, srv)
	ch, err := client.AddEventsListener(marathon.EventIDDeploymentSuccess)
	if err != nil {
		t.Fatalf("AddEventsListener: %v", err)
	}
	defer client.RemoveEventsListener(ch)
	waitSubscribers(t, bus, 1)
	first := bus.Stats().Subscribers[0].ID

	bus.DropAll()
	deadline := time.After(15 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		st := bus.Stats()
		if len(st.Subscribers) == 1 && st.Subscribers[0].ID != first {
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("go-marathon did not reconnect: %+v", st)
		}
	}
	bus.Publish("deployment_success", map[string]string{"id": "after-reconnect"})
	if ds := receive(t, ch).Event.(*marathon.EventDeploymentSuccess); ds.ID != "after-reconnect" {
		t.Errorf("got %+v", ds)
	}
}

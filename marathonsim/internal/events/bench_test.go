package events

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchSubscribers is the fan-out the issue asks for: 10 SSE streams.
const benchSubscribers = 10

// benchConsumer reads one real SSE stream and counts the events of type "e".
type benchConsumer struct {
	got    atomic.Int64
	target atomic.Int64 // signal reach once got is at least target
	reach  chan struct{}
}

func (c *benchConsumer) run(body *bufio.Reader) {
	prefix := []byte("event: e\n")
	for {
		line, err := body.ReadSlice('\n')
		if err != nil {
			return
		}
		if bytes.Equal(line, prefix) {
			if c.got.Add(1) >= c.target.Load() {
				select { // a pending signal is enough
				case c.reach <- struct{}{}:
				default:
				}
			}
		}
	}
}

// startBench opens benchSubscribers streams over HTTP and waits until they
// are registered.
func startBench(b *testing.B) (*Bus, []*benchConsumer) {
	b.Helper()
	bus := NewBus(Options{})
	mux := http.NewServeMux()
	mux.Handle("/v2/events", bus)
	srv := httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(b.Context())
	var wg sync.WaitGroup
	b.Cleanup(func() {
		cancel()
		bus.Close()
		wg.Wait()
		srv.Close()
	})
	var cs []*benchConsumer
	for range benchSubscribers {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v2/events?event_type=e", nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		c := &benchConsumer{reach: make(chan struct{}, 1)}
		c.target.Store(-1)
		cs = append(cs, c)
		wg.Go(func() {
			defer resp.Body.Close()
			c.run(bufio.NewReaderSize(resp.Body, 64<<10))
		})
	}
	for len(bus.Stats().Subscribers) != benchSubscribers {
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			b.Fatal("subscribers did not attach")
		}
	}
	return bus, cs
}

// benchPayload is a realistic status_update_event (about 300 bytes on the wire).
var benchPayload = statusUpdate{
	SlaveID: "20150707-153709-218108076-5050-25588-S6", TaskID: "web.0664256e-6771-11e5-94e1-be5b2935a987",
	TaskStatus: "TASK_RUNNING", AppID: "/prod/web", Host: "127.0.0.1",
	IPAddresses: []ipAddress{{"127.0.0.1", "IPv4"}}, Ports: []int{31776}, Version: "2015-09-30T09:09:17.614Z",
}

// waitAll blocks until every consumer has counted n events.
func waitAll(b *testing.B, cs []*benchConsumer, n int64) {
	b.Helper()
	timeout := time.After(30 * time.Second)
	for _, c := range cs {
		c.target.Store(n)
		for c.got.Load() < n { // a stale signal only costs another check
			select {
			case <-c.reach:
			case <-timeout:
				b.Fatalf("consumer stuck at %d of %d events", c.got.Load(), n)
			}
		}
	}
}

// BenchmarkFanOut measures publishing one event and delivering it to all 10
// subscribers over real HTTP; ns/op is per published event, delivered to
// all 10.
//
//   - max-rate: consumers keep up (the publisher waits for them after each
//     window of 1,000 events, a quarter of the per-stream buffer), so the
//     figure is the sustained throughput with zero drops.
//   - paced-5000/s: the target load, published open-loop at 5,000
//     events/s (5 events per 1 ms tick); drops must stay 0.
func BenchmarkFanOut(b *testing.B) {
	b.Run("max-rate", func(b *testing.B) {
		bus, cs := startBench(b)
		const window = 1000
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for sent := 0; sent < b.N; {
			n := min(window, b.N-sent)
			for range n {
				bus.Publish("e", benchPayload)
			}
			sent += n
			waitAll(b, cs, int64(sent))
		}
		elapsed := time.Since(start)
		b.StopTimer()
		report(b, bus, elapsed)
	})
	b.Run("paced-5000/s", func(b *testing.B) {
		bus, cs := startBench(b)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		b.ResetTimer()
		start := time.Now()
		for sent := 0; sent < b.N; {
			<-tick.C
			// Catch up on missed ticks so the average rate stays 5,000/s.
			due := min(b.N, int(time.Since(start)/time.Millisecond+1)*5)
			for ; sent < due; sent++ {
				bus.Publish("e", benchPayload)
			}
		}
		waitAll(b, cs, int64(b.N))
		elapsed := time.Since(start)
		b.StopTimer()
		report(b, bus, elapsed)
	})
}

func report(b *testing.B, bus *Bus, elapsed time.Duration) {
	b.Helper()
	st := bus.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N*benchSubscribers)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(st.Dropped), "drops")
	if st.Dropped != 0 {
		b.Errorf("dropped %d events with consumers keeping up", st.Dropped)
	}
}

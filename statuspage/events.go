package statuspage

import (
	"fmt"
	"net/http"
	"time"
)

// keepAlive is how often an idle stream sends a comment, so proxies keep
// it open.
const keepAlive = 25 * time.Second

// events streams a server-sent event "pass" after each pass the page
// observes; its data is the pass's sequence number. The page's script
// then fetches the page again and swaps the rows that changed.
func (p *Page) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch, ok := p.subscribe()
	if !ok {
		http.Error(w, "too many live-update streams; reload by hand", http.StatusServiceUnavailable)
		return
	}
	defer p.unsubscribe(ch)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	fmt.Fprint(w, "retry: 5000\n\n")
	fl.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-p.closed:
			return
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case seq := <-ch:
			fmt.Fprintf(w, "event: pass\ndata: %d\n\n", seq)
		}
		fl.Flush()
	}
}

func (p *Page) subscribe() (chan uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.streams) >= maxStreams {
		return nil, false
	}
	ch := make(chan uint64, 1)
	p.streams[ch] = struct{}{}
	return ch, true
}

func (p *Page) unsubscribe(ch chan uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.streams, ch)
}

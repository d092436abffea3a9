package statuspage

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"pacer.dev/pacer/status"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// DefaultPerPage is how many apps a page of the overview lists.
const DefaultPerPage = 200

// maxStreams bounds the live-update streams open at once; each holds an
// HTTP connection.
const maxStreams = 64

// Options configure a Page.
type Options struct {
	// Status returns the status after the operator's last pass. Required.
	Status func() status.Cluster
	// Incidents returns the open incidents (nil: paging does not run here,
	// or this instance follows and does not know them).
	Incidents func() []status.Incident
	// History keeps the recent passes that Observe records (nil: a new
	// one of 50).
	History *status.History
	// Writes keeps the recent writes that Observe records (nil: a new one
	// of 500).
	Writes *status.Writes
	// Checks returns the custom checks' records (nil: no checks service
	// here). They are shown on the leader only, where the checks run.
	Checks func() []status.Check
	// LB returns the load-balancer pipeline's last run (nil: no LB
	// pipeline in this process).
	LB func() *status.LB
	// MarathonURL is the base of the Marathon UI links.
	MarathonURL string
	// PerPage is how many apps the overview lists per page
	// (DefaultPerPage when 0).
	PerPage int
	// Auth, when set, guards every route of the page.
	Auth *Auth
	// Now is the clock ("3m ago"); time.Now when nil.
	Now func() time.Time
}

// Page serves the status page. Create it with New; Observe and Handler may
// be used concurrently.
type Page struct {
	opts Options
	tmpl map[string]*template.Template

	mu      sync.Mutex
	seq     uint64
	streams map[chan uint64]struct{}
	closed  chan struct{}
	once    sync.Once
}

// New parses the templates and returns a Page.
func New(o Options) (*Page, error) {
	if o.Status == nil {
		return nil, errors.New("status page: no status")
	}
	if o.History == nil {
		o.History = status.NewHistory(50)
	}
	if o.Writes == nil {
		o.Writes = status.NewWrites(500)
	}
	if o.PerPage <= 0 {
		o.PerPage = DefaultPerPage
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Page{opts: o, tmpl: map[string]*template.Template{}, streams: map[chan uint64]struct{}{}, closed: make(chan struct{})}
	for _, name := range []string{"overview", "app", "revision", "notfound"} {
		t, err := template.New("layout.html").Funcs(p.funcs()).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("status page: template %s: %w", name, err)
		}
		p.tmpl[name] = t
	}
	return p, nil
}

// Observe records a pass and its writes and tells the open live-update
// streams.
func (p *Page) Observe(st status.Cluster) {
	p.opts.History.Add(status.PassOf(st))
	p.opts.Writes.Observe(st)
	p.wake()
}

// Changed tells the open live-update streams that something the page
// shows changed between passes (a custom check's state), without recording
// a pass. It never blocks.
func (p *Page) Changed() { p.wake() }

func (p *Page) wake() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	for ch := range p.streams {
		select {
		case ch <- p.seq:
		default: // the stream has an update pending; it reloads the newest
		}
	}
}

// Close ends the live-update streams (call it when the server shuts down:
// http.Server.Shutdown does not cancel requests).
func (p *Page) Close() { p.once.Do(func() { close(p.closed) }) }

// Handler serves the page's routes and hands any other request to next
// (the operator's /healthz, /metrics, /api/v1/...).
func (p *Page) Handler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	assets, _ := fs.Sub(assetFS, "assets") // the directory is embedded
	files := http.StripPrefix("/assets/", http.FileServerFS(assets))
	// The routes take every method, so that a write is refused here and
	// never reaches next.
	mux.Handle("/{$}", p.page(p.overview))
	mux.Handle("/apps/{id...}", p.page(p.app))
	mux.Handle("/revision", p.page(p.revision))
	mux.Handle("/events", p.guard(http.HandlerFunc(p.events)))
	mux.Handle("/assets/", p.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})))
	if next != nil {
		mux.Handle("/", next)
	}
	return mux
}

// csp allows only the page's own script, style and images: no inline
// script, no form posts elsewhere, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// guard sets the security headers and checks Auth.
func (p *Page) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			hd.Set("Allow", "GET, HEAD")
			http.Error(w, "the status page is read-only", http.StatusMethodNotAllowed)
			return
		}
		if p.opts.Auth != nil && !p.opts.Auth.allow(w, r) {
			return
		}
		h.ServeHTTP(w, r)
	})
}

// page renders what view returns: a template name and its data, or a
// status code for a page that does not exist.
func (p *Page) page(view func(r *http.Request) (string, any, int)) http.Handler {
	return p.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, data, code := view(r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		if err := p.tmpl[name].Execute(w, data); err != nil {
			// The header is gone; the page ends where the error is.
			fmt.Fprintf(w, "\n<p>render error: %s</p>", template.HTMLEscapeString(err.Error()))
		}
	}))
}

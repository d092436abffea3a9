package statuspage

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"pacer.dev/pacer/status"
)

// base is what every page shows: the cluster line and its banners.
type base struct {
	Nav       string
	Cluster   status.Cluster
	Incidents []status.Incident
	// IncidentsKnown is false when this instance does not know the open
	// incidents (no paging here, or it follows).
	IncidentsKnown bool
	// LB is the LB pipeline's last run; nil without one.
	LB *status.LB
	// Checks are the custom checks' records; ChecksKnown is false when
	// this instance does not run them (no checks service, or it follows).
	Checks      []status.Check
	ChecksKnown bool
}

func (p *Page) base(st status.Cluster, nav string) base {
	b := base{Nav: nav, Cluster: st}
	if p.opts.Incidents != nil && st.Leader {
		b.Incidents, b.IncidentsKnown = p.opts.Incidents(), true
	}
	if p.opts.LB != nil {
		b.LB = p.opts.LB()
	}
	if p.opts.Checks != nil && st.Leader {
		b.Checks, b.ChecksKnown = p.opts.Checks(), true
	}
	return b
}

func (p *Page) funcs() template.FuncMap {
	return template.FuncMap{
		"ago": p.ago,
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"when":        func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
		"syncState":   func(s status.Sync) string { return syncState(s) },
		"healthState": func(h status.Health) string { return healthState(h) },
		"checkState":  checkState,
		"icon":        icon,
		"appHref":     appHref,
		"marathonApp": func(id string) string { return marathonApp(p.opts.MarathonURL, id) },
		"rowID":       rowID,
		"short":       short,
		"ms": func(d time.Duration) string {
			if d < 10*time.Millisecond {
				return d.Round(100 * time.Microsecond).String()
			}
			return d.Round(time.Millisecond).String()
		},
		"syncCount": func(s status.Summary, v string) int { return s.Sync[status.Sync(v)] },
		"lines":     func(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") },
		"wanted": func(a *status.App) string {
			if a.Wanted == nil {
				return "–"
			}
			return fmt.Sprint(*a.Wanted)
		},
	}
}

// ago is a duration for people, from the injected clock.
func (p *Page) ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := p.opts.Now().Sub(t)
	switch {
	case d < 0:
		return "in " + (-d).Round(time.Second).String()
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm ago", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func syncState(s status.Sync) string {
	switch s {
	case status.Synced:
		return "ok"
	case status.OutOfSync:
		return "warn"
	}
	return "none"
}

func healthState(h status.Health) string {
	switch h {
	case status.Healthy:
		return "ok"
	case status.Progressing:
		return "busy"
	case status.Degraded, status.Missing:
		return "bad"
	}
	return "none"
}

// checkState is the page state of a check state: CRITICAL bad, WARNING
// and UNKNOWN warn, OK ok, PENDING (and no checks) none. The state's name
// is always written beside it.
func checkState(s status.CheckState) string {
	switch s {
	case status.CheckOK:
		return "ok"
	case status.CheckWarning, status.CheckUnknown:
		return "warn"
	case status.CheckCritical:
		return "bad"
	}
	return "none"
}

// icon is the text mark of a state, so colour is never the only signal.
func icon(state string) string {
	switch state {
	case "ok":
		return "✓"
	case "warn":
		return "≠"
	case "bad":
		return "✗"
	case "busy":
		return "↻"
	}
	return "?"
}

// appHref is the app page of id: /apps/services/web/production/api.
func appHref(id string) string {
	var b strings.Builder
	b.WriteString("/apps")
	for seg := range strings.SplitSeq(strings.TrimPrefix(id, "/"), "/") {
		b.WriteString("/" + url.PathEscape(seg))
	}
	return b.String()
}

func marathonApp(base, id string) string {
	if base == "" {
		return ""
	}
	return strings.TrimSuffix(base, "/") + "/ui/#/apps/" + url.PathEscape(id)
}

// rowID is the HTML id of an app's row: stable across renders, so the
// live-update script can swap it (HTML ids may hold any character but
// space, and Marathon ids have none).
func rowID(id string) string { return "app:" + id }

// short is the first 12 characters of a revision id.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

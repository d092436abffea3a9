package statuspage

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"pacer.dev/pacer/status"
)

type appData struct {
	base
	App       *status.App
	Problem   bool
	Incidents []status.Incident
	Writes    []status.Write
	// LBProblems are why the LB leaves the app (or ports) out.
	LBProblems []string
	// Checks are the custom checks that run in or probe the app, failing
	// first.
	Checks   []status.Check
	Marathon string
	// Live is the masked live definition ("" when not in Marathon).
	Live string
}

type notFoundData struct {
	base
	What string
}

func (p *Page) app(r *http.Request) (string, any, int) {
	st := p.opts.Status()
	id := "/" + strings.Trim(r.PathValue("id"), "/")
	b := p.base(st, "app")
	for i := range st.Apps {
		a := &st.Apps[i]
		if a.ID != id {
			continue
		}
		d := appData{base: b, App: a, Marathon: marathonApp(p.opts.MarathonURL, id)}
		if a.Live != nil {
			live, err := a.Live.Masked()
			if err != nil {
				live = []byte("(cannot show the definition: " + err.Error() + ")")
			}
			d.Live = string(live)
		}
		d.Incidents = incidentsByApp(b.Incidents)[id]
		if d.Writes = p.opts.Writes.Of(id); len(d.Writes) > 20 {
			d.Writes = d.Writes[:20]
		}
		if b.LB != nil {
			d.LBProblems = b.LB.Problems[id]
		}
		for _, c := range b.Checks {
			if c.App == id {
				d.Checks = append(d.Checks, c)
			}
		}
		slices.SortStableFunc(d.Checks, func(x, y status.Check) int { return cmp.Compare(y.State.Rank(), x.State.Rank()) })
		d.Problem = problem(a) || len(d.Incidents) > 0 || len(d.LBProblems) > 0 || status.SummarizeChecks(d.Checks).Failing > 0
		return "app", d, http.StatusOK
	}
	return "notfound", notFoundData{base: b, What: "app " + id}, http.StatusNotFound
}

type revisionData struct {
	base
	Passes []status.Pass
}

func (p *Page) revision(*http.Request) (string, any, int) {
	st := p.opts.Status()
	return "revision", revisionData{base: p.base(st, "revision"), Passes: p.opts.History.List()}, http.StatusOK
}

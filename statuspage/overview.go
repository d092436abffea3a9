package statuspage

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"pacer.dev/pacer/status"
)

// filter is the overview's GET parameters: env, service, problems, q, page.
type filter struct {
	Env      string
	Service  string
	Problems bool
	Q        string
	Page     int
}

func filterOf(r *http.Request) filter {
	q := r.URL.Query()
	f := filter{Env: q.Get("env"), Service: q.Get("service"), Problems: q.Get("problems") != "", Q: strings.TrimSpace(q.Get("q"))}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	f.Page = max(f.Page, 1)
	return f
}

// query is the filter's query string for page n.
func (f filter) query(n int) string {
	v := url.Values{}
	for k, s := range map[string]string{"env": f.Env, "service": f.Service, "q": f.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Problems {
		v.Set("problems", "1")
	}
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

func (f filter) match(a *row) bool {
	switch {
	case f.Env != "" && a.Environment != f.Env,
		f.Service != "" && a.ServiceGroup != f.Service,
		f.Problems && !a.Problem,
		f.Q != "" && !strings.Contains(strings.ToLower(a.ID), strings.ToLower(f.Q)):
		return false
	}
	return true
}

// maxFailingChecks is how many failing checks the summary lists.
const maxFailingChecks = 20

// row is an app as the overview lists it.
type row struct {
	*status.App
	Problem   bool
	Incidents []status.Incident
	// LBProblems are why the LB leaves the app (or ports) out.
	LBProblems []string
	// Checks summarizes the custom checks that run in or probe the app.
	Checks status.ChecksSummary
}

// section is one service group of one environment on a page of the
// overview.
type section struct {
	Environment, ServiceGroup string
	Rows                      []row
}

type overviewData struct {
	base
	Filter       filter
	Environments []string
	Services     []string
	// Counts of the whole cluster, and of the apps the filter matches.
	Total, Matched, Problems int
	// ChecksSummary counts every check of the cluster; FailingChecks are
	// those failing (hard WARNING, CRITICAL or UNKNOWN), worst first.
	ChecksSummary   status.ChecksSummary
	FailingChecks   []status.Check
	MoreFailing     int
	Sync            []count
	Health          []count
	Attention, Rest []section
	Pages           []pageLink
	Prev, Next      string
	First, Last     int
}

type count struct {
	Name  string
	N     int
	State string // ok, warn, bad, none
}

type pageLink struct {
	N       int
	Href    string
	Current bool
}

func (p *Page) overview(r *http.Request) (string, any, int) {
	st := p.opts.Status()
	f := filterOf(r)
	d := overviewData{base: p.base(st, "overview"), Filter: f, Total: len(st.Apps)}
	byApp := incidentsByApp(d.Incidents)
	checksByApp := status.ChecksByApp(d.Checks)
	d.ChecksSummary = status.SummarizeChecks(d.Checks)
	for _, c := range d.Checks {
		if c.Failing() {
			d.FailingChecks = append(d.FailingChecks, c)
		}
	}
	slices.SortStableFunc(d.FailingChecks, func(a, b status.Check) int {
		return cmp.Compare(b.State.Rank(), a.State.Rank())
	})
	if n := len(d.FailingChecks); n > maxFailingChecks {
		d.FailingChecks, d.MoreFailing = d.FailingChecks[:maxFailingChecks], n-maxFailingChecks
	}
	envs, services := map[string]bool{}, map[string]bool{}
	rows := make([]row, 0, len(st.Apps))
	for i := range st.Apps {
		a := &st.Apps[i]
		envs[a.Environment], services[a.ServiceGroup] = true, true
		rw := row{App: a, Incidents: byApp[a.ID], Checks: status.SummarizeChecks(checksByApp[a.ID])}
		if d.LB != nil {
			rw.LBProblems = d.LB.Problems[a.ID]
		}
		rw.Problem = problem(a) || len(rw.Incidents) > 0 || len(rw.LBProblems) > 0 || rw.Checks.Failing > 0
		if rw.Problem {
			d.Problems++
		}
		if f.match(&rw) {
			rows = append(rows, rw)
		}
	}
	d.Environments, d.Services = sortedKeys(envs), sortedKeys(services)
	d.Sync, d.Health = counts(st.Summary)
	d.Matched = len(rows)
	slices.SortFunc(rows, func(a, b row) int {
		if a.Problem != b.Problem {
			if a.Problem {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Environment, b.Environment), cmp.Compare(a.ServiceGroup, b.ServiceGroup), cmp.Compare(a.ID, b.ID))
	})
	per := p.opts.PerPage
	pages := max((len(rows)+per-1)/per, 1)
	f.Page = min(f.Page, pages)
	d.Filter = f
	lo, hi := (f.Page-1)*per, min(f.Page*per, len(rows))
	d.First, d.Last = lo+1, hi
	for _, rw := range rows[lo:hi] {
		if rw.Problem {
			d.Attention = appendRow(d.Attention, rw)
		} else {
			d.Rest = appendRow(d.Rest, rw)
		}
	}
	if pages > 1 {
		for n := 1; n <= pages; n++ {
			d.Pages = append(d.Pages, pageLink{N: n, Href: f.query(n), Current: n == f.Page})
		}
		if f.Page > 1 {
			d.Prev = f.query(f.Page - 1)
		}
		if f.Page < pages {
			d.Next = f.query(f.Page + 1)
		}
	}
	return "overview", d, http.StatusOK
}

// appendRow adds rw to the last section, or starts one for its
// environment and service group.
func appendRow(ss []section, rw row) []section {
	if n := len(ss); n > 0 && ss[n-1].Environment == rw.Environment && ss[n-1].ServiceGroup == rw.ServiceGroup {
		ss[n-1].Rows = append(ss[n-1].Rows, rw)
		return ss
	}
	return append(ss, section{Environment: rw.Environment, ServiceGroup: rw.ServiceGroup, Rows: []row{rw}})
}

// problem: the app needs someone's eyes (drift, bad health, a failed
// write). A suspended app is as git wants it.
func problem(a *status.App) bool {
	return a.Sync != status.Synced || (a.Health != status.Healthy && a.Health != status.Suspended) || a.LastError != ""
}

func counts(s status.Summary) (syncs, healths []count) {
	for _, v := range status.Syncs() {
		syncs = append(syncs, count{Name: string(v), N: s.Sync[v], State: syncState(v)})
	}
	for _, h := range status.Healths() {
		healths = append(healths, count{Name: string(h), N: s.Health[h], State: healthState(h)})
	}
	return syncs, healths
}

func incidentsByApp(in []status.Incident) map[string][]status.Incident {
	m := map[string][]status.Incident{}
	for _, i := range in {
		m[i.App] = append(m[i.App], i)
	}
	return m
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

package status

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// Link is a link of an app for people: its runbook, dashboard, errors.
type Link struct {
	Text string `json:"text"`
	Href string `json:"href"`
}

// linkLabels are the spec labels whose values become an app's links, with
// the text each is shown with.
var linkLabels = []struct{ label, text string }{
	{"RUNBOOK_URL", "Runbook"},
	{"GRAFANA_URL", "Grafana"},
	{"SENTRY_URL", "Sentry"},
	{"DOCS_URL", "Docs"},
}

// LinkLabels lists the labels LinksOf reads, in the order it shows them.
func LinkLabels() []string {
	out := make([]string, 0, len(linkLabels))
	for _, l := range linkLabels {
		out = append(out, l.label)
	}
	return out
}

// Exposure is how an app is served by the load balancers, from its
// labels: NIXY_REALM (nixy) and HAPROXY_GROUP (marathon-lb).
type Exposure struct {
	NixyRealm    string `json:"nixyRealm,omitempty"`
	HAProxyGroup string `json:"haproxyGroup,omitempty"`
	// Protocol is NIXY_PROTOCOL (tcp, udp; empty for http).
	Protocol string `json:"protocol,omitempty"`
	// Hosts are the subdomain label's hosts.
	Hosts []string `json:"hosts,omitempty"`
}

// SpecFacts are what the status reads from an app's rendered definition:
// the instances git wants, its links and its LB exposure.
type SpecFacts struct {
	Wanted   int
	Links    []Link
	Exposure *Exposure
}

// FactsOf reads SpecFacts from a rendered Marathon app definition. Only
// http and https links are kept (a label cannot smuggle a javascript: URL
// onto the page).
func FactsOf(definition json.RawMessage) SpecFacts {
	var def struct {
		Instances *int              `json:"instances"`
		Labels    map[string]string `json:"labels"`
	}
	_ = json.Unmarshal(definition, &def) // a rendered definition always decodes
	f := SpecFacts{Wanted: 1}            // Marathon's default instances
	if def.Instances != nil {
		f.Wanted = *def.Instances
	}
	for _, l := range linkLabels {
		v := strings.TrimSpace(def.Labels[l.label])
		if u, err := url.Parse(v); v != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			f.Links = append(f.Links, Link{Text: l.text, Href: v})
		}
	}
	e := Exposure{NixyRealm: def.Labels["NIXY_REALM"], HAProxyGroup: def.Labels["HAPROXY_GROUP"], Protocol: def.Labels["NIXY_PROTOCOL"]}
	for h := range strings.SplitSeq(def.Labels["subdomain"], " ") {
		if h = strings.TrimSpace(h); h != "" {
			e.Hosts = append(e.Hosts, h)
		}
	}
	slices.Sort(e.Hosts)
	if e.NixyRealm != "" || e.HAProxyGroup != "" || len(e.Hosts) > 0 {
		f.Exposure = &e
	}
	return f
}

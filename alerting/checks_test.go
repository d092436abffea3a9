package alerting

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckIncidentLinks: a check's incident links its target app and its
// runbook, not the check id as if it were an app.
func TestCheckIncidentLinks(t *testing.T) {
	o := LinkOptions{MarathonURL: map[string]string{"ams": "http://m1.ams:8080"}}
	d := Details{Extra: map[string]string{DetailTarget: "/web/production/app", DetailRunbook: "https://wiki.example/web"}}
	got := o.linksOf("ams", "/web/production:http", CheckFailed, d)
	want := []Link{
		{Href: "http://m1.ams:8080/ui/#/apps/%2Fweb%2Fproduction%2Fapp", Text: "Marathon: /web/production/app"},
		{Href: "https://wiki.example/web", Text: "Runbook"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(o.Links("ams", "/web/production/app"), o.linksOf("ams", "/web/production/app", Unhealthy, Details{})); diff != "" {
		t.Errorf("other conditions' links changed (-want +got):\n%s", diff)
	}
}

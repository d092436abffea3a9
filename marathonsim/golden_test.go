package marathonsim

import (
	"testing"
	"time"
)

// TestGoldenViews pins the long JSON shapes: an app with tasks and health
// results, a group tree, the deployment list and the launch queue.
func TestGoldenViews(t *testing.T) {
	x := newSim(t, Options{CPUs: 2})
	x.must(201, "POST", "/v2/groups", `{"id":"/prod","apps":[
		{"id":"web","cmd":"serve","cpus":0.5,"instances":2,"labels":{"HAPROXY_GROUP":"external"},
		 "healthChecks":[{"protocol":"HTTP","path":"/health","intervalSeconds":5,"gracePeriodSeconds":10}]},
		{"id":"worker","cmd":"work","cpus":1,"instances":2,"dependencies":["web"]}]}`)
	x.advance(2 * time.Second)
	golden(t, "app_with_tasks.json", x.must(200, "GET", "/v2/apps/prod/web", nil).body)
	golden(t, "groups.json", x.must(200, "GET", "/v2/groups?embed=group.groups&embed=group.apps&embed=group.apps.counts", nil).body)
	golden(t, "deployments.json", x.must(200, "GET", "/v2/deployments", nil).body)
	golden(t, "queue.json", x.must(200, "GET", "/v2/queue", nil).body)
}

package reconciler_test

import (
	"encoding/json"
	"fmt"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
)

// A plan compares what git wants with what Marathon runs. Here git scales
// the API up, rolls a new image of the web app, creates a worker, and
// Marathon also runs an app pacer does not manage.
func ExamplePlan_String() {
	desired := []reconciler.DesiredApp{
		{ID: "/shop/api", Source: "services/shop.yaml:8:5", Definition: json.RawMessage(`{"cmd":"api","instances":4}`)},
		{ID: "/shop/web", Source: "services/shop.yaml:12:5", ShowEnv: []string{"LOG_*"}, Definition: json.RawMessage(
			`{"instances":2,"container":{"type":"DOCKER","docker":{"image":"web:2"}},"env":{"DB_PASSWORD":"hunter2","LOG_LEVEL":"debug"}}`)},
		{ID: "/shop/worker", Source: "services/shop.yaml:20:5", Definition: json.RawMessage(`{"cmd":"work"}`)},
	}
	live := []marathon.App{
		liveApp(`{"id":"/shop/api","cmd":"api","instances":2,"labels":{"pacer.dev/managed-by":"pacer"}}`),
		liveApp(`{"id":"/shop/web","instances":2,"container":{"type":"DOCKER","docker":{"image":"web:1"}},"labels":{"pacer.dev/managed-by":"pacer"}}`),
		liveApp(`{"id":"/ops/cron","cmd":"cron"}`),
	}
	plan, err := reconciler.NewPlan(desired, live, reconciler.PlanOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(plan)
	// Output:
	// ! skip /ops/cron: unmanaged
	// ^ scale /shop/api  (services/shop.yaml:8:5)
	//     instances: 2 → 4
	// ~ update /shop/web  (services/shop.yaml:12:5)
	//     container.docker.image: "web:1" → "web:2"
	//     env.DB_PASSWORD: + (masked 34e3a78b)
	//     env.LOG_LEVEL: + "debug"
	// + create /shop/worker  (services/shop.yaml:20:5)
	//     cmd: "work"
	// Plan: 1 to create, 1 to update, 1 to scale, 0 to delete; 0 unchanged, 1 skipped.
}

func liveApp(raw string) marathon.App {
	var head struct {
		ID     string            `json:"id"`
		Labels map[string]string `json:"labels"`
	}
	_ = json.Unmarshal([]byte(raw), &head)
	return marathon.App{ID: head.ID, Labels: head.Labels, Raw: json.RawMessage(raw)}
}

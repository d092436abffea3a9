package specs_test

import (
	"fmt"
	"testing/fstest"

	"pacer.dev/pacer/specs"
)

func ExampleLoad() {
	fsys := fstest.MapFS{
		"clusters.yaml": {Data: []byte(`apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
`)},
		"services/hello.yaml": {Data: []byte(`apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: hello, parent: /services}
spec:
  environments:
    production: {clusters: [ams]}
  apps:
    web:
      cmd: python3 -m http.server $PORT0
      instances: 2
      cpu: 0.5
`)},
	}
	set, err := specs.Load(fsys)
	if err != nil {
		fmt.Println(err) // every problem, one per line, as file:line:col: message
		return
	}
	apps, _ := set.Render("ams", "")
	fmt.Println(apps[0].ID)
	// Output:
	// services/hello.yaml:11:7: spec.apps.web: unknown field "cpu"; did you mean "cpus"?
}

func ExampleSet_Render() {
	fsys := fstest.MapFS{
		"specs.yaml": {Data: []byte(`apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec: {marathon: {urls: ["http://marathon.ams:8080"]}}
---
apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: hello}
spec:
  environments: {production: {clusters: [ams]}}
  apps:
    web: {cmd: "sleep 1000", dependencies: [db]}
    db: {cmd: "sleep 1000", mem: 64}
`)},
	}
	set, err := specs.Load(fsys)
	if err != nil {
		fmt.Println(err)
		return
	}
	apps, err := set.Render("ams", "production")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, app := range apps {
		fmt.Printf("%s %s\n", app.ID, app.Definition)
	}
	// Output:
	// /hello/production/db {"cmd":"sleep 1000","cpus":1,"id":"/hello/production/db","instances":1,"labels":{"pacer.dev/cluster":"ams","pacer.dev/environment":"production","pacer.dev/managed-by":"pacer","pacer.dev/service-group":"/hello","pacer.dev/source":"specs.yaml"},"mem":64}
	// /hello/production/web {"cmd":"sleep 1000","cpus":1,"dependencies":["/hello/production/db"],"id":"/hello/production/web","instances":1,"labels":{"pacer.dev/cluster":"ams","pacer.dev/environment":"production","pacer.dev/managed-by":"pacer","pacer.dev/service-group":"/hello","pacer.dev/source":"specs.yaml"},"mem":128}
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/lb"
)

// badWhenThree is a user template that renders valid nginx config, except
// when a backend has more than two servers: then it writes a directive
// nginx does not know.
const badWhenThree = `pid nginx.pid;
error_log stderr;
events {}
http {
    access_log off;
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;
    proxy_next_upstream error timeout http_502;
{{- range .Backends}}
{{- if gt (len .Servers) 2}}
    three_servers_are_not_allowed on;
{{- end}}
    upstream {{.Name}} {
{{- range .Servers}}
        server {{.Host}}:{{.Port}};
{{- end}}
    }
    server {
        listen {{$.Options.ListenHTTP}};
        server_name {{join .Hosts " "}};
        location / { proxy_pass http://{{.Name}}; }
    }
{{- end}}
}
`

// TestLBInvalidTemplate: a --template whose render nginx refuses leaves
// the last good config in place and nginx serving it; the pipeline reports
// the config invalid (pacer_lb_config_invalid 1, Status.ConfigInvalid)
// until a render is accepted again.
func TestLBInvalidTemplate(t *testing.T) {
	t.Parallel()
	nginx := lookBinary(t, "nginx")
	r := newLBRig(t)
	prefix := filepath.Join(r.dir, "nginx")
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	r.conf = filepath.Join(prefix, "nginx.conf")
	tmpl := filepath.Join(r.dir, "nginx.tmpl")
	if err := os.WriteFile(tmpl, []byte(badWhenThree), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"V": "1"}
	r.sim.do("POST", "/v2/apps", r.webApp(2, env), nil)
	two := r.waitHealthy("/shop/web", 2)
	r.startLB("--format", "nginx", "--realm", "internal", "--nginx-prefix", prefix, "--template", tmpl,
		"--reload-cmd", nginx+" -p "+prefix+" -c "+r.conf+" -s reload")
	pollUntil(t, 10*time.Second, func() error { return configLists(r.conf, two, nil) })
	startNginx(t, nginx, prefix, r.conf)
	pollUntil(t, 10*time.Second, func() error { return servedBy(r.at(r.httpPort), "web.test", taskIDs(two)) })
	r.waitMetric("pacer_lb_config_invalid", "0")
	good, err := os.ReadFile(r.conf)
	if err != nil {
		t.Fatal(err)
	}

	// A third task makes the template render a config nginx refuses.
	r.sim.do("PUT", "/v2/apps/shop/web", r.webApp(3, env), nil)
	r.waitHealthy("/shop/web", 3)
	r.waitMetric("pacer_lb_config_invalid", "1")
	r.waitMetric(`pacer_lb_invalid_configs_total{stage="validate"}`, "1")
	if now, err := os.ReadFile(r.conf); err != nil || !bytes.Equal(now, good) {
		t.Errorf("the refused render replaced the config (%v):\n%s", err, now)
	}
	if matches, _ := filepath.Glob(filepath.Join(prefix, ".nginx.conf.draft-*")); len(matches) > 0 {
		t.Errorf("drafts left behind: %v", matches)
	}
	if err := servedBy(r.at(r.httpPort), "web.test", taskIDs(two)); err != nil {
		t.Errorf("nginx stopped serving the last good config: %v", err)
	}

	// Back to two tasks: the render is accepted again.
	r.sim.do("PUT", "/v2/apps/shop/web", r.webApp(2, env), nil)
	r.waitMetric("pacer_lb_config_invalid", "0")
	pollUntil(t, 20*time.Second, func() error {
		return servedBy(r.at(r.httpPort), "web.test", taskIDs(r.waitHealthy("/shop/web", 2)))
	})
}

func (r *lbRig) waitMetric(name, want string) {
	r.t.Helper()
	pollUntil(r.t, 15*time.Second, func() error {
		got, err := r.metric(name)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("%s = %s, want %s", name, got, want)
		}
		return nil
	})
}

// TestRunLBMetrics: pacer run's LB pipeline registers its metrics on the
// registry it is given (the operator's, served at /metrics).
func TestRunLBMetrics(t *testing.T) {
	client, err := marathon.New(marathon.Options{URLs: []string{"http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	o := testRunLB(func(c *lb.Config) { c.Out = filepath.Join(t.TempDir(), "nginx.conf") })
	p, err := o.pipeline(client, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	if p.Metrics == nil || p.MinReloadInterval <= 0 {
		t.Errorf("pipeline without metrics or reload interval: %+v", p)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "pacer_lb_") {
			names = append(names, mf.GetName())
		}
	}
	for _, want := range []string{"pacer_lb_config_invalid", "pacer_lb_reloads_total", "pacer_lb_renders_total"} {
		if !slices.Contains(names, want) {
			t.Errorf("registry lacks %s; has %v", want, names)
		}
	}
	if _, err := o.pipeline(client, nil, reg); err == nil {
		t.Error("a second pipeline on the same registry did not report the duplicate registration")
	}
}

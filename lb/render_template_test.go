package lb

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTemplateRenderer(t *testing.T) {
	const text = `listen {{.Options.ListenHTTP}}
{{range .HTTP}}{{.Name}} {{join .Hosts ","}}{{range .Servers}} {{.Address}}{{end}}{{if hasSuffix .AppID "/api"}} api{{end}}
{{end}}{{range .Stream}}{{.Protocol}} {{.ServicePort}} {{len .Servers}}
{{end}}`
	backends := []Backend{
		{Name: "a_api_0", AppID: "/a/api", Protocol: ProtocolHTTP, Hosts: []string{"api.a", "x"}, Servers: []Server{srv(1), srv(2)}},
		{Name: "db_0", AppID: "/db", Protocol: ProtocolTCP, ServicePort: 9000},
	}
	r, err := NewTemplateRenderer("test.tmpl", text, RenderOptions{ListenHTTP: ":8080"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Render(backends)
	if err != nil {
		t.Fatal(err)
	}
	want := "listen :8080\na_api_0 api.a,x 10.0.0.1:31001 10.0.0.2:31002 api\ntcp 9000 0\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("render (-want +got):\n%s", diff)
	}
}

func TestTemplateRendererErrors(t *testing.T) {
	if _, err := NewTemplateRenderer("bad.tmpl", "{{range}}", RenderOptions{}); err == nil || !strings.Contains(err.Error(), "bad.tmpl") {
		t.Errorf("parse error = %v, want one naming the template", err)
	}
	r, err := NewTemplateRenderer("field.tmpl", "{{range .Backends}}{{.NoSuchField}}{{end}}", RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Render([]Backend{{Name: "x"}}); err == nil {
		t.Error("render of an unknown field succeeded")
	}
}

func TestPrintData(t *testing.T) {
	var buf bytes.Buffer
	d := Data{Backends: []Backend{{Name: "web_0", AppID: "/web", Protocol: ProtocolHTTP, Hosts: []string{"web"}, Servers: []Server{srv(1)}}}}
	if err := PrintData(&buf, d); err != nil {
		t.Fatal(err)
	}
	var back Data
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("PrintData output is not JSON: %v\n%s", err, buf.String())
	}
	if diff := cmp.Diff(d, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

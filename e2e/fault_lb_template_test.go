package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// faultTemplate is an nginx config template that copies each app's
// NGINX_EXTRA label verbatim into the http block: a label with a typo
// renders a config nginx refuses.
const faultTemplate = `error_log stderr;
events {}
http {
  access_log off;
  server { listen 127.0.0.1:1; }
{{- range .Backends}}
  # {{.AppID}}
  upstream {{.Name}} {
{{- range .Servers}}
    server {{.Host}}:{{.Port}};
{{- else}}
    server 127.0.0.1:1 down;
{{- end}}
  }
{{- with index .Labels "NGINX_EXTRA"}}
  {{.}}
{{- end}}
{{- end}}
}
`

// TestFaultLBTemplateInvalid runs pacer run with --lb-template and nginx
// -t as the validator. A push makes the template render a config nginx
// refuses: the config in place stays byte for byte, LBConfigInvalid is
// paged; the fix renders again and resolves it. The apps converge
// throughout, nothing is deleted.
func TestFaultLBTemplateInvalid(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	rec := newFaultRecorder(t, simURL)
	pd := newFaultPD(t)
	repo := gittest.New(t)
	dir := t.TempDir()
	tmpl, out := filepath.Join(dir, "nginx.tmpl"), filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(tmpl, []byte(faultTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	want := faultShop()
	for i := range want {
		want[i].labels = map[string]string{"subdomain": want[i].name}
	}
	repo.Push("shop", faultSpecs(want...))
	args := append(faultGitArgs(t, repo, rec.URL), "--lb-out", out, "--lb-template", tmpl,
		"--pagerduty-endpoint", pd.URL, "--pagerduty-routing-key-file", faultKeyFile(t),
		"--alert-for", "LBConfigInvalid=0s", "--alert-clear-for", "500ms")
	p := startFaultPacer(t, faultEnv, args...)
	eventually(t, 20*time.Second, "converged", func() (bool, error) { return faultConverged(simURL, p, want) })
	var good []byte
	eventually(t, 10*time.Second, "config serves every app", func() (bool, error) {
		b, err := os.ReadFile(out)
		good = b
		for _, a := range want {
			if !bytes.Contains(b, []byte(faultAppID(a.name))) {
				return false, fmt.Errorf("%s missing: %v\n%s", a.name, err, b)
			}
		}
		return true, nil
	})

	// A typo in a label: the rendered config fails nginx -t.
	bad := append([]faultApp(nil), want...)
	bad[0].labels = map[string]string{"subdomain": "cart", "NGINX_EXTRA": "client_max_body_szie 10m;"}
	repo.Push("typo", faultSpecs(bad...))
	key := "pacer/ams/-/LBConfigInvalid"
	pd.waitIncidents(t, 15*time.Second, "LBConfigInvalid paged", map[string][]string{key: {"trigger"}})
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, good) {
		t.Fatalf("the config in place changed while the render was refused (err %v):\n%s", err, got)
	}
	if lines := logLines(p.log, "client_max_body_szie"); len(lines) == 0 {
		t.Error("the validator's complaint is not in the log")
	}
	matches, _ := filepath.Glob(filepath.Join(dir, ".nginx.conf.draft-*"))
	if len(matches) > 0 {
		t.Errorf("drafts left behind: %v", matches)
	}

	fixed := append([]faultApp(nil), want...)
	fixed[0].labels = map[string]string{"subdomain": "cart", "NGINX_EXTRA": "client_max_body_size 10m;"}
	repo.Push("fix the typo", faultSpecs(fixed...))
	pd.waitIncidents(t, 15*time.Second, "LBConfigInvalid resolved", map[string][]string{key: {"trigger", "resolve"}})
	eventually(t, 10*time.Second, "the fixed config in place", func() (bool, error) {
		b, err := os.ReadFile(out)
		return strings.Contains(string(b), "client_max_body_size 10m;"), err
	})
	wantWrites := createsOnly(want)
	wantWrites[faultAppID("cart")] += 2 // the label typo and its fix
	checkNothingLost(t, simURL, rec, unmanaged, wantWrites)
}

package alerting

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
)

const secret = "0123456789abcdef0123456789abcdef"

func TestKeyResolver(t *testing.T) {
	dir := t.TempDir()
	write := func(name, v string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	def := write("default", "dddddddddddddddddddddddddddddddd\n")
	team := write("team", "  "+secret+"\n")
	empty := write("empty", "\n")
	env := map[string]string{"PD_AUTOFILL_PROD": secret}
	getenv := func(k string) string { return env[k] }

	tests := []struct {
		name        string
		defaultFile string
		ref         KeyRef
		want        string
		wantFall    bool
		wantErr     error
	}{
		{name: "env", ref: KeyRef{FromEnv: "PD_AUTOFILL_PROD"}, want: secret},
		{name: "file, trimmed", ref: KeyRef{FromFile: team}, want: secret},
		{name: "default", defaultFile: def, want: strings.Repeat("d", 32)},
		{name: "unset env falls back to default", defaultFile: def, ref: KeyRef{FromEnv: "PD_UNSET"}, want: strings.Repeat("d", 32), wantFall: true},
		{name: "empty file falls back", defaultFile: def, ref: KeyRef{FromFile: empty}, want: strings.Repeat("d", 32), wantFall: true},
		{name: "nothing configured", ref: KeyRef{FromEnv: "PD_UNSET"}, wantFall: true, wantErr: ErrNoRoutingKey},
		{name: "missing default file", defaultFile: filepath.Join(dir, "nope"), wantErr: fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := KeyResolver{DefaultFile: tc.defaultFile, Getenv: getenv}
			key, fall, err := r.Resolve(tc.ref)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr != nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if (fall != nil) != tc.wantFall {
				t.Errorf("fallback err = %v, want one: %t", fall, tc.wantFall)
			}
			if key.Reveal() != tc.want {
				t.Errorf("key = %q, want %q", key.Reveal(), tc.want)
			}
			for _, e := range []error{err, fall} {
				if e != nil && strings.Contains(e.Error(), secret) {
					t.Errorf("error reveals the key: %v", e)
				}
			}
		})
	}
}

func TestRoutingKeyRedacted(t *testing.T) {
	k := RoutingKey{v: secret}
	b, err := json.Marshal(struct{ Key RoutingKey }{k})
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	log := funcr.New(func(prefix, args string) { logged.WriteString(args) }, funcr.Options{})
	log.Info("Resolved", "routingKey", k)
	out := fmt.Sprintf("%v %+v %#v %s", k, k, k, k) + string(b) + logged.String()
	if strings.Contains(out, secret) {
		t.Fatalf("key printed: %s", out)
	}
	if !strings.Contains(out, redacted) {
		t.Fatalf("no redaction marker in %s", out)
	}
}

package lb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// TestConfigValidate: the settings that cannot work together are refused,
// naming the flags as registered (pacer lb's --format, pacer run's
// --lb-format).
func TestConfigValidate(t *testing.T) {
	private, open := t.TempDir(), t.TempDir()
	if err := os.Chmod(private, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(private, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	luaMissing := "" // the lua module is needed only when detected (auto)
	if DetectLuaModules() == nil {
		luaMissing = "--nginx-api needs nginx's lua module, not found"
	}
	haproxy := func(c *Config) { c.Format, c.Groups = "haproxy", []string{"internal"} }
	for _, tc := range []struct {
		name       string
		prefix     string
		set        func(*Config)
		needReload bool
		want       string // "" when valid
	}{
		{"defaults", "", func(*Config) {}, true, ""},
		{"haproxy reloaded through the master", "", func(c *Config) { haproxy(c); c.MasterSocket = "/run/m.sock" }, true, ""},
		{"haproxy nothing reloads, kept converged", "lb-", haproxy, false, ""},
		{"haproxy nothing reloads", "", haproxy, true, "--format haproxy needs --haproxy-master-socket (HAProxy in master-worker mode"},
		{"haproxy nothing reloads, run's names", "lb-", haproxy, true, "--lb-format haproxy needs --lb-haproxy-master-socket"},
		{"unknown format", "lb-", func(c *Config) { c.Format = "traefik" }, false, `--lb-format "traefik": want nginx or haproxy`},
		{"group with nginx", "", func(c *Config) { c.Groups = []string{"a"} }, false, "--group and --strict-mode need --format haproxy"},
		{"strict mode with nginx", "lb-", func(c *Config) { c.StrictMode = true }, false, "--lb-group and --lb-strict-mode need --lb-format haproxy"},
		{"realm with haproxy", "", func(c *Config) { haproxy(c); c.Realm = "r" }, false, "--realm needs --format nginx"},
		{"haproxy without group", "", func(c *Config) { c.Format = "haproxy" }, false, "--format haproxy needs --group (* for every app)"},
		{"debounce min above max", "lb-", func(c *Config) { c.DebounceMin = 2 * time.Second }, false, "--lb-debounce-min/--lb-debounce-max: "},
		{"negative min reload", "", func(c *Config) { c.MinReload = -time.Second }, false, "--min-reload-interval -1s must not be negative"},
		{"negative resync", "", func(c *Config) { c.Resync = -time.Second }, false, "--resync and --health-grace must not be negative"},
		{"master socket with nginx", "", func(c *Config) { c.MasterSocket = "/run/m.sock" }, false, "--haproxy-master-socket needs --format haproxy"},
		{"master socket and reload cmd", "lb-", func(c *Config) { haproxy(c); c.MasterSocket, c.ReloadCmd = "/run/m.sock", "true" }, false,
			"--lb-haproxy-master-socket and --lb-reload-cmd both reload HAProxy: give one"},
		{"nginx api with haproxy", "", func(c *Config) { haproxy(c); c.NginxAPI = "127.0.0.1:9180" }, false, "--nginx-api needs the nginx format"},
		{"nginx api with a template", "lb-", func(c *Config) { c.Template, c.NginxAPI = "/t.tmpl", "127.0.0.1:9180" }, false,
			"--lb-nginx-api works with the built-in nginx format, not a template"},
		{"nginx api, lua module detected", "", func(c *Config) { c.LuaModules, c.NginxAPI = "auto", "127.0.0.1:9180" }, false, luaMissing},
		{"nginx api on loopback", "", func(c *Config) { c.LuaModules, c.NginxAPI = "", "127.0.0.1:9180" }, false, ""},
		{"nginx api on a public address", "", func(c *Config) { c.LuaModules, c.NginxAPI = "", "0.0.0.0:9180" }, false,
			"--nginx-api 0.0.0.0:9180: listen on a loopback address or a unix socket"},
		{"nginx api on a host name", "", func(c *Config) { c.LuaModules, c.NginxAPI = "", "localhost:9180" }, false, "listen on a loopback address"},
		{"nginx api without port", "lb-", func(c *Config) { c.LuaModules, c.NginxAPI = "", "localhost" }, false, `--lb-nginx-api "localhost": want unix:/path or host:port`},
		{"nginx api relative socket", "", func(c *Config) { c.LuaModules, c.NginxAPI = "", "unix:api.sock" }, false, "--nginx-api unix:api.sock: the socket path must be absolute"},
		{"nginx api socket in a private directory", "", func(c *Config) { c.LuaModules, c.NginxAPI = "", "unix:"+filepath.Join(private, "u.sock") }, false, ""},
		{"nginx api socket in an open directory", "lb-", func(c *Config) { c.LuaModules, c.NginxAPI = "", "unix:"+filepath.Join(open, "u.sock") }, false,
			"--lb-nginx-api: directory " + open + " has mode 0777: other users could reach the socket"},
		{"nginx api socket in a missing directory", "", func(c *Config) { c.LuaModules, c.NginxAPI = "", "unix:/nonexistent/pacer/u.sock" }, false,
			"install -d -m 0750 /nonexistent/pacer"},
		{"nginx api socket under a file", "", func(c *Config) { c.LuaModules, c.NginxAPI = "", "unix:"+filepath.Join(file, "u.sock") }, false, "is not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			c.RegisterFlags(pflag.NewFlagSet("test", pflag.ContinueOnError), tc.prefix)
			tc.set(&c)
			err := c.Validate(tc.needReload)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestConfigRegisterFlags: the flags parse into the Config, named with the
// prefix; --min-reload-interval records that it was given (its default
// depends on the reload kind), and the pipeline takes every timing.
func TestConfigRegisterFlags(t *testing.T) {
	var c Config
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	c.RegisterFlags(fs, "lb-")
	if c.MinReloadInterval() != time.Second {
		t.Errorf("default min reload interval with a reload command = %v, want 1s", c.MinReloadInterval())
	}
	if err := fs.Parse([]string{"--lb-format", "haproxy", "--lb-group", "a,b", "--lb-strict-mode", "--lb-debounce-min", "5ms",
		"--lb-min-reload-interval", "0", "--lb-resync", "1m", "--lb-health-grace", "2m", "--lb-runtime-api=false"}); err != nil {
		t.Fatal(err)
	}
	if c.Format != "haproxy" || len(c.Groups) != 2 || !c.StrictMode || c.DebounceMin != 5*time.Millisecond || c.RuntimeAPI ||
		!c.MinReloadSet || c.MinReloadInterval() != 0 {
		t.Errorf("parsed %+v", c)
	}
	if f := fs.Lookup("lb-min-reload-interval"); f == nil || f.DefValue != "" || f.Value.String() != "0s" {
		t.Errorf("--lb-min-reload-interval: %+v", f)
	}
	p, err := c.Pipeline(&Source{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Source.Resync != time.Minute || p.Health.grace != 2*time.Minute || p.Debounce.Min != 5*time.Millisecond ||
		p.Select.Flavor != FlavorMarathonLB || !p.Select.StrictMode || p.Runtime != nil {
		t.Errorf("pipeline %+v", p)
	}
}

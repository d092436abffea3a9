package buildinfo

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func settings(kv ...string) []debug.BuildSetting {
	var out []debug.BuildSetting
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestFrom(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want Info
	}{
		{
			name: "release from a clean checkout",
			bi: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "pacer.dev/pacer", Version: "v1.2.0"},
				Settings: settings("GOOS", "linux", "GOARCH", "amd64", "vcs", "git", "vcs.revision", "2df7940abcdef0123456789abcdef0123456789a",
					"vcs.time", "2026-12-04T19:40:00Z", "vcs.modified", "false")},
			want: Info{Program: "pacer", Version: "v1.2.0", Commit: "2df7940abcdef0123456789abcdef0123456789a",
				Date: "2026-12-04T19:40:00Z", GoVersion: "go1.26.0", Platform: "linux/amd64"},
		},
		{
			name: "modified tree",
			bi: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261204194000-2df7940abcde+dirty"},
				Settings: settings("vcs.revision", "2df7940abcdef0123456789abcdef0123456789a", "vcs.time", "2026-12-04T19:40:00Z", "vcs.modified", "true")},
			want: Info{Program: "pacer", Version: "v0.0.0-20261204194000-2df7940abcde+dirty", Commit: "2df7940abcdef0123456789abcdef0123456789a",
				Date: "2026-12-04T19:40:00Z", Modified: true, GoVersion: "go1.26.0"},
		},
		{
			name: "no vcs (go test, -buildvcs=false)",
			bi:   debug.BuildInfo{GoVersion: "go1.26.0"},
			want: Info{Program: "pacer", Version: "(devel)", GoVersion: "go1.26.0"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, From("pacer", &tc.bi)); diff != "" {
				t.Errorf("From (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteGolden(t *testing.T) {
	full := Info{Program: "pacer", Version: "v0.0.0-20261204194000-2df7940abcde+dirty", Commit: "2df7940abcdef0123456789abcdef0123456789a",
		Date: "2026-12-04T19:40:00Z", Modified: true, GoVersion: "go1.26.0", Platform: "linux/amd64"}
	bare := Info{Program: "marathon-sim", Version: "(devel)", GoVersion: "go1.26.0"}
	for _, tc := range []struct {
		golden string
		in     Info
		format string
	}{
		{"full.txt", full, "text"},
		{"full.json", full, "json"},
		{"full.yaml", full, "yaml"},
		{"bare.txt", bare, "text"},
		{"bare.json", bare, "json"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.in.Write(&b, tc.format); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.golden+".golden")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", path, diff)
			}
		})
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	err := Info{}.Write(&bytes.Buffer{}, "xml")
	if err == nil || err.Error() != `unknown output format "xml" (want text, json or yaml)` {
		t.Errorf("Write(xml) = %v", err)
	}
}

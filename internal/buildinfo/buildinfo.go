// Package buildinfo reports what a pacer binary was built from: the module
// version, the git commit and its date, whether the tree had local changes,
// and the Go version. It reads runtime/debug.ReadBuildInfo, which the go
// command fills from the VCS (vcs.revision, vcs.time, vcs.modified) on every
// build inside a git checkout, so no -ldflags are needed.
package buildinfo

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"sigs.k8s.io/yaml"
)

// Info is what `pacer version -o json` prints.
type Info struct {
	// Program is the binary's name (pacer, marathon-sim).
	Program string `json:"program"`
	// Version is the main module's version as the go command stamped it,
	// e.g. v1.2.0, or a pseudo-version such as
	// v0.0.0-20261204194000-2df7940abcde+dirty; "(devel)" when unknown.
	Version string `json:"version"`
	// Commit is the full git commit hash (vcs.revision); "" when the
	// binary was built outside a git checkout or with -buildvcs=false.
	Commit string `json:"commit,omitempty"`
	// Date is the commit's time (vcs.time, RFC 3339 UTC): the build's
	// source date. It is the same for every build of one commit, so builds
	// stay reproducible.
	Date string `json:"date,omitempty"`
	// Modified is true when the tree had uncommitted changes (vcs.modified).
	Modified bool `json:"modified,omitempty"`
	// GoVersion is the toolchain that built the binary, e.g. go1.26.0.
	GoVersion string `json:"goVersion"`
	// Platform is GOOS/GOARCH of the binary.
	Platform string `json:"platform,omitempty"`
}

// Read returns the Info of the running binary.
func Read(program string) Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Program: program, Version: "(devel)", GoVersion: "unknown"}
	}
	return From(program, bi)
}

// From extracts Info from build information.
func From(program string, bi *debug.BuildInfo) Info {
	in := Info{Program: program, Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Commit = s.Value
		case "vcs.time":
			in.Date = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		in.Platform = goos + "/" + goarch
	}
	return in
}

// String is the one-line text form, e.g.
// "pacer v1.2.0 (commit 2df7940abcde, 2026-12-04T19:40:00Z, modified) go1.26.0 linux/amd64".
func (in Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", in.Program, in.Version)
	var details []string
	if in.Commit != "" {
		details = append(details, "commit "+short(in.Commit))
	} else {
		details = append(details, "commit unknown")
	}
	if in.Date != "" {
		details = append(details, in.Date)
	}
	if in.Modified {
		details = append(details, "modified")
	}
	fmt.Fprintf(&b, " (%s) %s", strings.Join(details, ", "), in.GoVersion)
	if in.Platform != "" {
		b.WriteString(" " + in.Platform)
	}
	return b.String()
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// Write prints in as text (one line), json or yaml.
func (in Info) Write(w io.Writer, format string) error {
	switch format {
	case "", "text":
		_, err := fmt.Fprintln(w, in.String())
		return err
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	case "yaml":
		js, err := json.Marshal(in)
		if err != nil {
			return err
		}
		out, err := yaml.JSONToYAML(js)
		if err != nil {
			return fmt.Errorf("version as yaml: %w", err)
		}
		_, err = w.Write(out)
		return err
	}
	return fmt.Errorf("unknown output format %q (want text, json or yaml)", format)
}

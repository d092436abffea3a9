package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/operator"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
)

// maskSaltEnv keys the hashes that stand in for env and secrets values in
// plans, the status API and alerts (reconciler.DefaultMaskSalt when unset).
const maskSaltEnv = "PACER_MASK_SALT"

// identityFile is where pacer run keeps, in --state-dir, the identity of
// the Marathon it converged.
const identityFile = "marathon-identity.json"

// checkSpecIdentity compares the /v2/info of client with the Cluster spec's
// spec.marathon.expect; nothing is read when the spec expects nothing.
func checkSpecIdentity(ctx context.Context, client *marathon.Client, cluster *specs.Cluster) (reconciler.Identity, error) {
	if cluster.Expect == nil {
		return reconciler.Identity{}, nil
	}
	info, err := client.Info(ctx)
	if err != nil {
		return reconciler.Identity{}, fmt.Errorf("check the identity of %s (spec.marathon.expect): %w", client.URL(), err)
	}
	got := reconciler.IdentityOf(info)
	want := reconciler.Identity{Name: cluster.Expect.Name, FrameworkID: cluster.Expect.FrameworkID, ZK: cluster.Expect.ZK}
	return got, reconciler.CheckIdentity(cluster.Name, got, want, fmt.Sprintf("spec.marathon.expect of Cluster %s (%s)", cluster.Name, cluster.Source))
}

// savedIdentity is the identity file's content.
type savedIdentity struct {
	Cluster  string              `json:"cluster"`
	URL      string              `json:"url"`
	Identity reconciler.Identity `json:"identity"`
}

// checkRunIdentity runs at the start of pacer run: it compares Marathon's
// /v2/info with the Cluster spec's expectations (spec may be nil when the
// specs could not be read yet) and, with --state-dir, with what this pacer
// saw there before, which it records on first sight. A Marathon that cannot
// be read is only logged: pacer cannot write to it either, and once it
// answers every pass still refuses apps labelled for another cluster.
func checkRunIdentity(ctx context.Context, client *marathon.Client, cluster string, spec *specs.Cluster, stateDir string) error {
	log := logr.FromContextOrDiscard(ctx)
	if (spec == nil || spec.Expect == nil) && stateDir == "" {
		return nil
	}
	info, err := client.Info(ctx)
	if err != nil {
		log.Error(err, "Cannot check the Marathon's identity at start", "url", client.URL())
		return nil
	}
	got := reconciler.IdentityOf(info)
	if spec != nil {
		if _, err := checkSpecIdentity(ctx, client, spec); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	if stateDir == "" {
		return nil
	}
	path := filepath.Join(stateDir, identityFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return saveIdentity(path, savedIdentity{Cluster: cluster, URL: client.URL(), Identity: got})
	case err != nil:
		return fmt.Errorf("run: read %s: %w", path, err)
	}
	var seen savedIdentity
	if err := json.Unmarshal(data, &seen); err != nil {
		return fmt.Errorf("run: read %s: %w", path, err)
	}
	if seen.Cluster != cluster {
		return fmt.Errorf("run: %w: --state-dir %s belongs to cluster %s, not %s; give each cluster its own --state-dir",
			reconciler.ErrWrongMarathon, stateDir, seen.Cluster, cluster)
	}
	from := fmt.Sprintf("what pacer saw at %s before (%s; delete that file if this Marathon was rebuilt on purpose)", seen.URL, path)
	if err := reconciler.CheckIdentity(cluster, got, seen.Identity, from); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if seen.Identity != got {
		// A field Marathon did not report before (e.g. the framework id
		// before registration) is learnt.
		return saveIdentity(path, savedIdentity{Cluster: cluster, URL: client.URL(), Identity: got})
	}
	return nil
}

func saveIdentity(path string, s savedIdentity) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("run: record the Marathon's identity: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("run: record the Marathon's identity: %w", err)
	}
	return nil
}

// clusterSpec reads the Cluster spec of cluster from the newest revision.
func clusterSpec(ctx context.Context, src operator.Source, cluster string) (*specs.Cluster, error) {
	rev, err := src.Sync(ctx)
	if rev.FS == nil {
		return nil, fmt.Errorf("no spec revision to read cluster %s from: %w", cluster, err)
	}
	set, err := specs.Load(rev.FS)
	if set == nil {
		return nil, fmt.Errorf("read specs of revision %s: %w", rev.ID, err)
	}
	for _, c := range set.Clusters {
		if c.Name == cluster {
			return c, nil
		}
	}
	return nil, fmt.Errorf("cluster %q is not defined in revision %s", cluster, rev.ID)
}

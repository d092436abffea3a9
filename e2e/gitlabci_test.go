package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// ciJob is the part of a GitLab CI job the template uses.
type ciJob struct {
	Extends   string            `json:"extends"`
	Script    []string          `json:"script"`
	Variables map[string]string `json:"variables"`
}

// resolve merges a job with the jobs it extends, as GitLab does for these keys.
func resolve(t *testing.T, jobs map[string]ciJob, name string) ciJob {
	t.Helper()
	job, ok := jobs[name]
	if !ok {
		t.Fatalf("deploy/gitlab-ci.yml has no job %q", name)
	}
	if job.Extends == "" {
		return job
	}
	parent := resolve(t, jobs, job.Extends)
	vars := map[string]string{}
	for k, v := range parent.Variables {
		vars[k] = v
	}
	for k, v := range job.Variables {
		vars[k] = v
	}
	job.Variables = vars
	if job.Script == nil {
		job.Script = parent.Script
	}
	return job
}

// TestGitLabCITemplate runs the jobs of deploy/gitlab-ci.yml, script for
// script, with the real pacer binary against marathon-sim: validate passes,
// the plan job writes a Markdown plan and tolerates "changes pending", the
// apply job converges the cluster, and the next plan is empty.
func TestGitLabCITemplate(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(bin.repoRoot, "deploy", "gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse deploy/gitlab-ci.yml: %v", err)
	}
	jobs := map[string]ciJob{}
	for name, v := range doc {
		b, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var j ciJob
		if yaml.Unmarshal(b, &j) == nil {
			jobs[name] = j
		}
	}
	simURL := startSim(t, "--task-start", "10ms")
	work := t.TempDir()
	if err := os.Symlink(filepath.Join(bin.repoRoot, "examples", "specs"), filepath.Join(work, "specs")); err != nil {
		t.Fatal(err)
	}
	runJob := func(name string) string {
		t.Helper()
		job := resolve(t, jobs, name)
		env := append(os.Environ(),
			"PATH="+bin.dir+string(os.PathListSeparator)+os.Getenv("PATH"),
			"CI_COMMIT_SHA=0123456789abcdef", "MARATHON_URL_AMS="+simURL)
		for k, v := range doc["variables"].(map[string]any) {
			env = append(env, k+"="+v.(string))
		}
		for k, v := range job.Variables {
			env = append(env, k+"="+os.Expand(v, func(k string) string {
				if k == "MARATHON_URL_AMS" {
					return simURL
				}
				return "$" + k
			}))
		}
		cmd := exec.CommandContext(t.Context(), "sh", "-e", "-c", strings.Join(job.Script, "\n"))
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("job %s: %v\n%s", name, err, out)
		}
		return string(out)
	}

	runJob("pacer:validate")
	out := runJob("pacer:plan:ams")
	if !strings.Contains(out, "/services/autofill/production/app") {
		t.Errorf("plan job output lacks the autofill app:\n%s", out)
	}
	plan, err := os.ReadFile(filepath.Join(work, "plan-ams.md"))
	if err != nil {
		t.Fatalf("plan artifact: %v", err)
	}
	if !strings.Contains(string(plan), "|") {
		t.Errorf("plan-ams.md is not a Markdown table:\n%s", plan)
	}
	runJob("pacer:apply:ams")
	runJob("pacer:plan:ams")
	plan, err = os.ReadFile(filepath.Join(work, "plan-ams.md"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plan), "create") || strings.Contains(string(plan), "update") {
		t.Errorf("plan after apply is not empty:\n%s", plan)
	}
}

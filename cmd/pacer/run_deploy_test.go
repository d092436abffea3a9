package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestDeployMarathonApp checks pacer's own Marathon app definition: Marathon
// (the simulator) accepts it, and its args are valid `pacer run` flags.
func TestDeployMarathonApp(t *testing.T) {
	def, err := os.ReadFile("../../deploy/pacer.marathon.json")
	if err != nil {
		t.Fatal(err)
	}
	simURL := newOperatorSim(t)
	resp, err := http.Post(simURL+"/v2/apps", "application/json", strings.NewReader(string(def)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v2/apps: %s\n%s", resp.Status, body)
	}

	var appDef struct {
		Instances    int      `json:"instances"`
		Args         []string `json:"args"`
		HealthChecks []struct {
			Path string `json:"path"`
		} `json:"healthChecks"`
	}
	if err := json.Unmarshal(def, &appDef); err != nil {
		t.Fatal(err)
	}
	if appDef.Instances != 2 || len(appDef.HealthChecks) != 1 || appDef.HealthChecks[0].Path != "/healthz" {
		t.Errorf("instances %d, health checks %+v: want 2 instances checked on /healthz", appDef.Instances, appDef.HealthChecks)
	}
	if len(appDef.Args) == 0 || appDef.Args[0] != "run" {
		t.Fatalf("args %v: want pacer run", appDef.Args)
	}
	root := newRootCmd(&app{stdout: io.Discard, stderr: io.Discard})
	cmd, rest, err := root.Find(appDef.Args)
	if err != nil || cmd.Name() != "run" {
		t.Fatalf("find run: %v", err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("args are not valid pacer run flags: %v", err)
	}
	for _, f := range []string{"zk", "zk-path", "cluster", "git-url"} {
		if !cmd.Flags().Changed(f) {
			t.Errorf("--%s is not set", f)
		}
	}
}

package marathonsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// agentGet GETs path from the agent and returns the status and body.
func agentGet(t *testing.T, base, path string, q url.Values) (int, []byte) {
	t.Helper()
	u := base + path
	if q != nil {
		u += "?" + q.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

type agentState struct {
	ID         string `json:"id"`
	Hostname   string `json:"hostname"`
	Frameworks []struct {
		ID                 string          `json:"id"`
		Executors          []agentExecutor `json:"executors"`
		CompletedExecutors []agentExecutor `json:"completed_executors"`
	} `json:"frameworks"`
}

type agentExecutor struct {
	ID        string `json:"id"`
	Container string `json:"container"`
	Directory string `json:"directory"`
	Tasks     []struct {
		ID       string `json:"id"`
		SlaveID  string `json:"slave_id"`
		Statuses []struct {
			ContainerStatus struct {
				ContainerID struct {
					Value string `json:"value"`
				} `json:"container_id"`
			} `json:"container_status"`
		} `json:"statuses"`
	} `json:"tasks"`
	CompletedTasks []struct {
		ID string `json:"id"`
	} `json:"completed_tasks"`
}

func readState(t *testing.T, base string) agentState {
	t.Helper()
	code, body := agentGet(t, base, "/state", nil)
	if code != 200 {
		t.Fatalf("/state: %d %s", code, body)
	}
	var st agentState
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("decode /state: %v: %s", err, body)
	}
	return st
}

func readFile(t *testing.T, base, path string, kv ...string) (int, map[string]any, string) {
	t.Helper()
	q := url.Values{"path": {path}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	code, body := agentGet(t, base, "/files/read", q)
	var m map[string]any
	if code == 200 {
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("decode read: %v: %s", err, body)
		}
	}
	return code, m, string(body)
}

// TestAgentServesProcessSandboxes runs a real process task and reads its
// stdout and stderr through the agent API as Mesos 1.x serves them
// (files/files.cpp FilesProcess::__read/_read/_browse/resolve, slave/http.cpp
// ExecutorWriter).
func TestAgentServesProcessSandboxes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	s, err := New(Options{Executor: "process", TaskStart: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	agent := httptest.NewServer(s.AgentHandler())
	t.Cleanup(agent.Close)
	x := &sim{t: t, s: s}
	x.must(201, "POST", "/v2/apps", map[string]any{
		"id": "/logs/echo", "instances": 1, "cpus": 0.1, "mem": 32,
		"cmd": `echo "out1 $MESOS_TASK_ID"; echo err1 >&2; printf partial; head -c 70000 /dev/zero | tr '\0' x > big; exec sleep 60`,
	})
	var task map[string]any
	poll(t, 20*time.Second, "task running", func() bool {
		ts := x.tasks("/logs/echo")
		if len(ts) == 1 && ts[0]["state"] == "TASK_RUNNING" {
			task = ts[0]
			return true
		}
		return false
	})
	id := task["id"].(string)

	st := readState(t, agent.URL)
	if st.ID != task["slaveId"] || st.Hostname != task["host"] {
		t.Errorf("agent id/hostname = %s/%s, task slaveId/host = %v/%v", st.ID, st.Hostname, task["slaveId"], task["host"])
	}
	if len(st.Frameworks) != 1 || len(st.Frameworks[0].Executors) != 1 {
		t.Fatalf("state frameworks = %+v", st.Frameworks)
	}
	ex := st.Frameworks[0].Executors[0]
	if ex.ID != id || len(ex.Tasks) != 1 || ex.Tasks[0].ID != id || ex.Tasks[0].Statuses[0].ContainerStatus.ContainerID.Value != ex.Container {
		t.Errorf("executor = %+v, want the task %s with its container", ex, id)
	}
	wantDir := filepath.Join("slaves", st.ID, "frameworks", st.Frameworks[0].ID, "executors", id, "runs", ex.Container)
	if !strings.HasSuffix(ex.Directory, wantDir) {
		t.Errorf("directory = %s, want .../%s", ex.Directory, wantDir)
	}

	stdout := "out1 " + id + "\npartial"
	poll(t, 10*time.Second, "stdout written", func() bool {
		_, m, _ := readFile(t, agent.URL, ex.Directory+"/stdout", "offset", "0")
		return m["data"] == stdout
	})
	latest := filepath.Join(filepath.Dir(ex.Directory), "latest")
	cases := []struct {
		name     string
		path     string
		kv       []string
		code     int
		data     string
		offset   float64
		bodyText string
	}{
		{name: "offset -1 gives the size", path: ex.Directory + "/stdout", kv: []string{"offset", "-1"}, code: 200, offset: float64(len(stdout))},
		{name: "no offset is -1", path: ex.Directory + "/stdout", code: 200, offset: float64(len(stdout))},
		{name: "whole file", path: ex.Directory + "/stdout", kv: []string{"offset", "0"}, code: 200, data: stdout},
		{name: "offset and length", path: ex.Directory + "/stdout", kv: []string{"offset", "5", "length", "3"}, code: 200, data: stdout[5:8], offset: 5},
		{name: "length -1 reads to the end", path: ex.Directory + "/stdout", kv: []string{"offset", "5", "length", "-1"}, code: 200, data: stdout[5:], offset: 5},
		{name: "past the end", path: ex.Directory + "/stdout", kv: []string{"offset", "1000"}, code: 200, offset: 1000},
		{name: "stderr", path: ex.Directory + "/stderr", kv: []string{"offset", "0"}, code: 200, data: "err1\n"},
		{name: "runs/latest", path: latest + "/stderr", kv: []string{"offset", "0"}, code: 200, data: "err1\n"},
		{name: "no path", path: "", code: 400, bodyText: "Expecting 'path=value' in query.\n"},
		{name: "bad offset", path: ex.Directory + "/stdout", kv: []string{"offset", "-2"}, code: 400, bodyText: "Negative offset provided: -2.\n"},
		{name: "directory", path: ex.Directory, kv: []string{"offset", "0"}, code: 400, bodyText: "Cannot read a directory.\n"},
		{name: "missing file", path: ex.Directory + "/nope", code: 404},
		{name: "not attached", path: "/etc/passwd", code: 404},
		{name: "outside the sandbox", path: ex.Directory + "/../../../../../../../../../../etc/passwd", kv: []string{"offset", "0"}, code: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, m, body := readFile(t, agent.URL, tc.path, tc.kv...)
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, body)
			}
			if tc.bodyText != "" && body != tc.bodyText {
				t.Errorf("body %q, want %q", body, tc.bodyText)
			}
			if code == 200 && (m["data"] != tc.data || m["offset"] != tc.offset) {
				t.Errorf("read = %s, want data %q offset %v", body, tc.data, tc.offset)
			}
		})
	}

	// One read is capped at 16 pages.
	poll(t, 10*time.Second, "big written", func() bool {
		_, m, _ := readFile(t, agent.URL, ex.Directory+"/big")
		return m["offset"] == 70000.0
	})
	if _, m, _ := readFile(t, agent.URL, ex.Directory+"/big", "offset", "0"); len(m["data"].(string)) != os.Getpagesize()*16 {
		t.Errorf("read %d bytes, want the 16-page cap %d", len(m["data"].(string)), os.Getpagesize()*16)
	}

	code, body := agentGet(t, agent.URL, "/files/browse", url.Values{"path": {ex.Directory}})
	var listing []map[string]any
	if err := json.Unmarshal(body, &listing); code != 200 || err != nil {
		t.Fatalf("browse: %d %v %s", code, err, body)
	}
	var names []string
	for _, f := range listing {
		names = append(names, f["path"].(string))
		if f["path"] == ex.Directory+"/stderr" && (f["size"] != 5.0 || f["mode"] != "-rw-r--r--" && f["mode"] != "-rw-rw-r--") {
			t.Errorf("stderr entry = %v", f)
		}
	}
	if want := []string{ex.Directory + "/big", ex.Directory + "/stderr", ex.Directory + "/stdout"}; strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("browse paths = %v, want %v", names, want)
	}

	// A killed task's executor is completed; its sandbox stays readable.
	x.must(200, "DELETE", "/v2/apps/logs/echo/tasks/"+id, nil)
	poll(t, 20*time.Second, "executor completed", func() bool {
		st := readState(t, agent.URL)
		fw := st.Frameworks[0]
		for _, e := range fw.CompletedExecutors {
			if e.ID == id && len(e.CompletedTasks) == 1 && e.Directory == ex.Directory {
				return true
			}
		}
		return false
	})
	if _, m, body := readFile(t, agent.URL, ex.Directory+"/stderr", "offset", "0"); m["data"] != "err1\n" {
		t.Errorf("completed sandbox read = %s", body)
	}
}

// TestAgentServesStandInOutput: a container stand-in says what it stands
// for on stdout, and a failing one why on stderr, in their sandboxes.
func TestAgentServesStandInOutput(t *testing.T) {
	x := processSim(t, Options{})
	agent := httptest.NewServer(x.s.AgentHandler())
	t.Cleanup(agent.Close)
	x.must(201, "POST", "/v2/apps", dockerApp("/si/logs", "registry.example/logs:1", 1, `[{"containerPort":80}]`, `[]`))
	x.must(201, "POST", "/v2/apps", `{"id":"/si/crash","instances":1,"cpus":0.1,"mem":32,"backoffSeconds":60,"labels":{"pacer.dev/sim-fail":"true"},
		"container":{"type":"DOCKER","docker":{"image":"registry.example/crash:1","network":"BRIDGE","portMappings":[{"containerPort":80}]}}}`)
	poll(t, 20*time.Second, "running", func() bool { ts := x.tasks("/si/logs"); return len(ts) == 1 && ts[0]["state"] == stateRunning })
	task := x.tasks("/si/logs")[0]
	id := task["id"].(string)
	want := "stand-in for /si/logs (" + id + "): image registry.example/logs:1 on ports " + fmt.Sprint(task["ports"].([]any)[0]) + "\n"
	var dir, crashDir string
	poll(t, 20*time.Second, "both sandboxes in /state", func() bool {
		for _, fw := range readState(t, agent.URL).Frameworks {
			for _, e := range append(fw.Executors, fw.CompletedExecutors...) {
				switch {
				case e.ID == id:
					dir = e.Directory
				case strings.HasPrefix(e.ID, "si_crash."):
					crashDir = e.Directory
				}
			}
		}
		return dir != "" && crashDir != ""
	})
	poll(t, 10*time.Second, "stand-in stdout", func() bool {
		_, m, _ := readFile(t, agent.URL, dir+"/stdout", "offset", "0")
		return m["data"] == want
	})
	poll(t, 10*time.Second, "crash stderr", func() bool {
		_, m, _ := readFile(t, agent.URL, crashDir+"/stderr", "offset", "0")
		return m["data"] == "stand-in: failing as asked (pacer.dev/sim-fail)\n"
	})
}

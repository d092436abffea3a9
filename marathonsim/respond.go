package marathonsim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// apiError is an HTTP error with Marathon's JSON body.
type apiError struct {
	status int
	body   any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %v", e.status, e.body) }

func errMsg(status int, format string, args ...any) *apiError {
	return &apiError{status: status, body: map[string]string{"message": fmt.Sprintf(format, args...)}}
}

func appNotFound(id string) *apiError    { return errMsg(404, "App '%s' does not exist", id) }
func groupNotFound(id string) *apiError  { return errMsg(404, "Group '%s' does not exist", id) }
func taskNotFound(id string) *apiError   { return errMsg(404, "Task '%s' does not exist", id) }
func uriNotFound(path string) *apiError  { return errMsg(404, "URI not found: %s", path) }
func as(err error, target any) bool      { return errors.As(err, target) }
func badRequest(msg string) *apiError    { return errMsg(400, "%s", msg) }
func lockedError(ids []string) *apiError { return lockedErr(ids) }

func lockedErr(ids []string) *apiError {
	deps := make([]map[string]string, 0, len(ids))
	for _, id := range ids {
		deps = append(deps, map[string]string{"id": id})
	}
	// AppLockedException's message is a constant: the placeholder
	// <DEPLOYMENT_ID> is literal text (Exception.scala:27-32 at v1.4.13);
	// the ids are only in "deployments".
	msg := "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'."
	return &apiError{status: 409, body: map[string]any{"message": msg, "deployments": deps}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; qs=2")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// writeList streams {"<key>":[items...]} one item at a time, so a 10,000-app
// list never sits in one buffer.
func writeList[T any](w http.ResponseWriter, key string, items []T) {
	w.Header().Set("Content-Type", "application/json; qs=2")
	w.WriteHeader(200)
	bw := bufio.NewWriterSize(w, 64<<10)
	k, _ := json.Marshal(key)
	bw.WriteString("{")
	bw.Write(k)
	bw.WriteString(":[")
	enc := json.NewEncoder(bw)
	for i, it := range items {
		if i > 0 {
			bw.WriteString(",")
		}
		_ = enc.Encode(it)
	}
	bw.WriteString("]}\n")
	_ = bw.Flush()
}

func writeErr(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errMsg(500, "%s", err.Error())
	}
	writeJSON(w, ae.status, ae.body)
}

// readBody decodes a JSON request body into v and reports the raw top-level
// keys it had. A malformed body is Marathon's 400 "Invalid JSON".
func readBody(r *http.Request, v any) (map[string]json.RawMessage, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return nil, badRequest("read body: " + err.Error())
	}
	if len(data) == 0 {
		return nil, &apiError{status: 400, body: map[string]any{"message": "Invalid JSON", "details": "No content to map due to end-of-input"}}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return nil, jsonTypeError(err)
	}
	keys := map[string]json.RawMessage{}
	_ = json.Unmarshal(data, &keys)
	return keys, nil
}

// deploymentResult is the body of every change that starts a deployment.
type deploymentResult struct {
	Version      string `json:"version"`
	DeploymentID string `json:"deploymentId"`
}

func writeDeployment(w http.ResponseWriter, status int, d *deployment, location string) {
	w.Header().Set("Marathon-Deployment-Id", d.id)
	if location != "" {
		w.Header().Set("Location", location)
	}
	writeJSON(w, status, deploymentResult{Version: d.version, DeploymentID: d.id})
}

package marathon

import (
	"encoding/json"
	"time"
)

// App is a live app as GET /v2/apps returns it: the raw JSON definition plus
// the fields pacer needs typed.
type App struct {
	ID        string
	Instances int
	Labels    map[string]string
	Version   string
	// Task counts (always embedded by Marathon).
	TasksStaged, TasksRunning, TasksHealthy, TasksUnhealthy int
	// DeploymentIDs are the running deployments touching this app.
	DeploymentIDs []string
	// PersistentVolumes is true when the app has a local persistent volume
	// or residency (such apps are never deleted by pacer).
	PersistentVolumes bool
	// LastTaskFailure is set when Marathon reports one.
	LastTaskFailure *TaskFailure
	// Tasks are the app's tasks (embed=apps.tasks).
	Tasks []Task
	// Raw is the app JSON as Marathon returned it, without the "tasks"
	// member: the tasks are the larger half of it, and they are in Tasks.
	Raw json.RawMessage
}

// Task is the part of a Marathon task pacer reads.
type Task struct {
	ID                 string              `json:"id"`
	State              string              `json:"state"`
	Host               string              `json:"host"`
	Ports              []int               `json:"ports"`
	Version            string              `json:"version"`
	StartedAt          string              `json:"startedAt"`
	HealthCheckResults []HealthCheckResult `json:"healthCheckResults"`
}

// HealthCheckResult is one health check result of a task.
type HealthCheckResult struct {
	Alive bool `json:"alive"`
}

// TaskFailure is an app's lastTaskFailure.
type TaskFailure struct {
	TaskID    string `json:"taskId"`
	State     string `json:"state"`
	Message   string `json:"message"`
	Host      string `json:"host"`
	Timestamp string `json:"timestamp"`
	Version   string `json:"version"`
}

// Deployment is one entry of GET /v2/deployments.
type Deployment struct {
	ID             string   `json:"id"`
	Version        string   `json:"version"`
	AffectedApps   []string `json:"affectedApps"`
	CurrentStep    int      `json:"currentStep"`
	TotalSteps     int      `json:"totalSteps"`
	CurrentActions []Action `json:"currentActions"`
	// AnsweredAt is Marathon's clock when it answered (the Date header of
	// the answer; zero without one): Version compares with it, not with
	// the reader's clock, which may be skewed or jump.
	AnsweredAt time.Time `json:"-"`
}

// Action is a deployment step action. Marathon 1.4 writes "action"; older
// docs write "type": both are accepted.
type Action struct {
	Action string `json:"action"`
	Type   string `json:"type,omitempty"`
	App    string `json:"app"`
}

// QueueItem is one entry of GET /v2/queue: an app waiting for offers.
type QueueItem struct {
	AppID string
	Count int
	// Delayed is true while the app is in a launch backoff.
	Delayed         bool
	TimeLeftSeconds int
	Since           string
	UnusedOffers    int
	ProcessedOffers int
}

package lb

import "regexp"

// Marathon 1.4 names a task's instance in health events (instanceId), and
// the instance id is not the task id. The patterns and the mapping are
// Marathon v1.4.13's: core/task/Task.scala Task.Id (lines 132-142, 179-189)
// and core/instance/Instance.scala Instance.Id (line 257).
var (
	// legacyTaskID: "<runSpec>.<uuid>" or "<runSpec>_<uuid>" (apps).
	legacyTaskID = regexp.MustCompile(`^(.+)[\._]([^_\.]+)$`)
	// residentTaskID: a legacy id with a launch attempt, "<runSpec>.<uuid>.<n>".
	residentTaskID = regexp.MustCompile(`^(.+)([\._])([^_\.]+)(\.)(\d+)$`)
	// instanceTaskID: "<runSpec>.(instance-|marathon-)<uuid>.<container>" (pods).
	instanceTaskID = regexp.MustCompile(`^(.+)\.(instance-|marathon-)([^_\.]+)[\._](.+)$`)
	// instanceID: "<runSpec>.(instance-|marathon-)<uuid>".
	instanceID = regexp.MustCompile(`^(.+)\.(instance-|marathon-)([^\.]+)$`)
)

// instanceIDOf is the id of the instance task taskID belongs to, as
// Marathon's Task.Id.instanceId computes it: a pod task's instance is its
// id without the container; an app task's (legacy or resident) is
// "<runSpec>.marathon-<uuid>". "" when taskID matches no pattern.
func instanceIDOf(taskID string) string {
	if m := instanceTaskID.FindStringSubmatch(taskID); m != nil {
		return m[1] + "." + m[2] + m[3]
	}
	if m := residentTaskID.FindStringSubmatch(taskID); m != nil {
		return m[1] + ".marathon-" + m[3]
	}
	if m := legacyTaskID.FindStringSubmatch(taskID); m != nil {
		return m[1] + ".marathon-" + m[2]
	}
	return ""
}

// taskIDsOf are the task ids an app instance's id most likely names:
// "<runSpec>.<uuid>" and "<runSpec>_<uuid>" for "<runSpec>.marathon-<uuid>",
// so a health event finds its task without scanning the app's. Callers
// check the candidates with instanceIDOf and scan when none is a task
// (resident tasks, pods).
func taskIDsOf(id string) []string {
	m := instanceID.FindStringSubmatch(id)
	if m == nil || m[2] != "marathon-" {
		return nil
	}
	return []string{m[1] + "." + m[3], m[1] + "_" + m[3]}
}

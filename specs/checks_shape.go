package specs

// Kinds of custom checks (spec.checks.<name>.<kind>).
const (
	CheckExec       = "exec"       // a command run by pacer agent inside the tasks of an app of the group
	CheckHTTP       = "http"       // an HTTP request by the leader to each task of an app
	CheckTCP        = "tcp"        // a TCP connect by the leader to each task of an app
	CheckPrometheus = "prometheus" // a PromQL query compared with thresholds
)

// CheckKinds lists the check kinds, sorted.
func CheckKinds() []string { return []string{CheckExec, CheckHTTP, CheckPrometheus, CheckTCP} }

// Task selection of exec checks.
const (
	TasksOne   = "one"   // the check runs in one task of the app (the default)
	TasksEvery = "every" // the check runs in every task of the app
)

// No-data policies of prometheus checks: the state when the query returns
// no sample.
const (
	NoDataOK       = "ok"
	NoDataWarning  = "warning"
	NoDataCritical = "critical"
	NoDataUnknown  = "unknown" // the default
)

func durationShape(doc string) *shape { return str(doc + " A Go duration such as 30s or 5m.") }

// checkShape is one entry of spec.checks.
func checkShape() *shape {
	fields := checkCommonFields()
	fields["exec"] = object("A command (Nagios plugin contract: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; first output line is the summary, perfdata after |) run by pacer agent inside the tasks of an app of this group.", map[string]*shape{
		"app":     nameShape("The app of this group whose tasks run the command (its command is pacer agent), typically checks."),
		"command": arrayOf(str("")).nonEmpty().described("argv: the program and its arguments, never a shell string (write [sh, -c, ...] to get a shell)."),
		"timeout": durationShape("How long the command may run before it is killed and the result is UNKNOWN (default 10s)."),
		"tasks":   enum("Run in one task of the app (one, the default) or in every task (every).", TasksOne, TasksEvery),
	}, "app", "command")
	expect := object("What a healthy answer looks like.", map[string]*shape{
		"status": arrayOf(integer("").atLeast(100).atMost(599)).nonEmpty().described("Accepted HTTP status codes (default 200-399)."),
		"body":   str("A substring the response body must contain."),
	})
	fields["http"] = object("An HTTP request by the pacer leader to each task of an app, at the task's host and port as Marathon reports them, or to one url (e.g. the app's vhost on the load balancer).", withTarget(map[string]*shape{
		"url":    str("Request this URL instead of the app's tasks, e.g. http://autofill.example.com/health through the load balancer."),
		"path":   str("Request path (default /)."),
		"scheme": enum("http (default) or https.", "http", "https"),
		"expect": expect,
	}))
	fields["tcp"] = object("A TCP connect by the pacer leader to each task of an app, at the task's host and port as Marathon reports them.", withTarget(map[string]*shape{}), "app")
	fields["prometheus"] = object("A PromQL instant query; the largest (or, with below, the smallest) value of the result is compared with the thresholds.", map[string]*shape{
		"url":      str("Base URL of the Prometheus server, e.g. http://prometheus.ams:9090."),
		"query":    str("PromQL expression."),
		"warning":  num("WARNING when the value is beyond this."),
		"critical": num("CRITICAL when the value is beyond this."),
		"below":    boolean("The value is bad when it is below the thresholds (default: above)."),
		"noData":   enum("State when the query returns no sample (default unknown).", NoDataOK, NoDataWarning, NoDataCritical, NoDataUnknown),
		"timeout":  durationShape("How long the query may take (default 10s)."),
	}, "url", "query")
	override := object("Per-environment changes to the check.", map[string]*shape{
		"enabled":  boolean("Run the check in this environment (default true)."),
		"page":     boolean("Page for the check in this environment (default true when the environment has alerting)."),
		"interval": durationShape("How often the check runs."),
		"for":      integer("Consecutive failing results before the state is hard.").atLeast(1),
		"clearFor": integer("Consecutive OK results before a hard failure recovers.").atLeast(1),
	})
	fields["environments"] = mapOf(override).described("Per-environment overrides, e.g. test: {page: false}.")
	return object("A custom check: exactly one of exec, http, tcp or prometheus.", fields).named("Check")
}

func checkCommonFields() map[string]*shape {
	return map[string]*shape{
		"interval": durationShape("How often the check runs (default 1m)."),
		"for":      integer("Consecutive failing results before the state is hard and pages, like Nagios max_check_attempts (default 1).").atLeast(1),
		"clearFor": integer("Consecutive OK results before a hard failure recovers (default 1).").atLeast(1),
		"tip":      str("One line for the on-call's phone screen: what to look at first."),
		"runbook":  str("Link to the runbook."),
	}
}

// withTarget adds the fields of probes aimed at an app's tasks.
func withTarget(fields map[string]*shape) map[string]*shape {
	fields["app"] = nameShape("The app of this group whose tasks are probed.")
	fields["portIndex"] = integer("Index of the port in the task's ports (portMappings or portDefinitions order; default 0).").atLeast(0)
	fields["portName"] = str("Name of the port in the app's portMappings or portDefinitions (instead of portIndex).")
	fields["timeout"] = durationShape("How long one probe may take (default 5s).")
	fields["failing"] = object("How many failing tasks make the check fail, each a count such as 2 or a share such as 50%: the state is the worst threshold exceeded.", map[string]*shape{
		"warning":  str("WARNING when more tasks than this fail (default 0: any failing task)."),
		"critical": str("CRITICAL when more tasks than this fail (default 50%)."),
	})
	return fields
}

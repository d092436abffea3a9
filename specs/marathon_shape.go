package specs

// The Marathon app definition as pacer accepts it: Marathon 1.4's own JSON
// field names (those of go-marathon v0.7.1's marathon.Application plus the ones
// it lacks, such as gpus, secrets, readinessChecks, unreachableStrategy and
// killSelection, which pass through to Marathon untouched). Server-set fields
// (id, version, versionInfo, tasks, counters) are refused.

func appShape() *shape {
	s := object("A Marathon app definition (Marathon 1.4 JSON field names), without id.", appFields())
	s.hints = map[string]string{
		"id":          "the app id is derived from the ServiceGroup and the app's key; remove it",
		"version":     "version is set by Marathon; remove it",
		"versionInfo": "versionInfo is set by Marathon; remove it",
		"tasks":       "tasks are live state, not desired state; remove it",
	}
	return s.named("MarathonApp")
}

func appFields() map[string]*shape {
	strList := func(doc string) *shape { return arrayOf(str("")).described(doc) }
	return map[string]*shape{
		"cmd":                        str("Command run in the shell of the task."),
		"args":                       strList("Command arguments, run without a shell."),
		"user":                       str("User the task runs as."),
		"env":                        mapOf(envValue()).described("Environment variables; values are strings or {secret: name}."),
		"instances":                  integer("Number of tasks (default 1).").atLeast(0).atMost(maxInstances),
		"cpus":                       num("CPU shares per task (default 1).").atLeast(0),
		"mem":                        num("Memory per task in MiB (default 128).").atLeast(0),
		"disk":                       num("Disk per task in MiB.").atLeast(0),
		"gpus":                       integer("GPUs per task.").atLeast(0),
		"executor":                   str("Executor; empty for the default."),
		"constraints":                arrayOf(arrayOf(str(""))).described(`Placement constraints, e.g. [["hostname", "UNIQUE"]].`),
		"uris":                       strList("URIs fetched before the task starts (prefer fetch)."),
		"fetch":                      arrayOf(fetchShape()).described("Artifacts fetched before the task starts."),
		"storeUrls":                  strList("URLs stored in the Mesos fetcher cache."),
		"ports":                      arrayOf(integer("").atLeast(0).atMost(65535)).described("Service ports (prefer portDefinitions)."),
		"portDefinitions":            arrayOf(portDefinitionShape()).described("Host ports of the task in HOST networking."),
		"requirePorts":               boolean("Use the service ports as host ports."),
		"backoffSeconds":             integer("Initial delay before relaunching a failed task. Whole seconds: Marathon 1.4.13 reads a Long (api/v2/json/Formats.scala:988-990, 1052).").atLeast(0),
		"backoffFactor":              num("Factor applied to the backoff after each failure.").atLeast(1),
		"maxLaunchDelaySeconds":      integer("Maximum backoff. Whole seconds: Marathon 1.4.13 reads a Long (api/v2/json/Formats.scala:988-990, 1052).").atLeast(0),
		"taskKillGracePeriodSeconds": integer("Time between SIGTERM and SIGKILL. Whole seconds: Marathon 1.4.13 reads a Long (api/v2/json/Formats.scala:988-990, 1052).").atLeast(0),
		"container":                  containerShape(),
		"healthChecks":               arrayOf(healthCheckShape()).described("Health checks run by Marathon or Mesos."),
		"readinessChecks":            arrayOf(readinessCheckShape()).described("Readiness checks run during deployments."),
		"dependencies":               strList("Apps started before this one; relative ids are resolved in the app's group."),
		"upgradeStrategy":            upgradeStrategyShape(),
		"labels":                     mapOf(str("")).described("Labels; values must be strings (quote numbers and booleans)."),
		"acceptedResourceRoles":      strList("Mesos roles whose resources the app accepts.").nonEmpty(),
		"ipAddress":                  ipAddressShape(),
		"residency":                  residencyShape(),
		"secrets":                    mapOf(object("", map[string]*shape{"source": str("Secret store reference.")}, "source")).described("Secrets, referenced from env."),
		"unreachableStrategy": union("What to do with unreachable tasks: \"disabled\" or the timeouts.",
			enum("", "disabled"),
			object("", map[string]*shape{
				"inactiveAfterSeconds": num("").atLeast(0),
				"expungeAfterSeconds":  num("").atLeast(0),
			})),
		"killSelection": enum("Which tasks are killed first when scaling down.", "YOUNGEST_FIRST", "OLDEST_FIRST"),
	}
}

// maxInstances is a sanity bound: more is a typo, not a plan.
const maxInstances = 10000

func envValue() *shape {
	return union("", str(""), object("A secret reference.", map[string]*shape{"secret": str("Name under secrets.")}, "secret"))
}

func fetchShape() *shape {
	return object("", map[string]*shape{
		"uri":        str("URI to fetch."),
		"executable": boolean(""),
		"extract":    boolean(""),
		"cache":      boolean(""),
		"destPath":   str(""),
	}, "uri")
}

func portDefinitionShape() *shape {
	return object("", map[string]*shape{
		"port":     integer("Service port; 0 lets Marathon assign one.").atLeast(0).atMost(65535),
		"protocol": enum("", "tcp", "udp", "udp,tcp"),
		"name":     str(""),
		"labels":   mapOf(str("")),
	})
}

func portMappingShape() *shape {
	return object("", map[string]*shape{
		"containerPort": integer("").atLeast(0).atMost(65535),
		"hostPort":      integer("0 lets Mesos assign one.").atLeast(0).atMost(65535),
		"servicePort":   integer("0 lets Marathon assign one.").atLeast(0).atMost(65535),
		"protocol":      enum("", "tcp", "udp", "udp,tcp"),
		"name":          str(""),
		"labels":        mapOf(str("")),
	})
}

func containerShape() *shape {
	docker := object("", map[string]*shape{
		"image":          str("Docker image, ideally pinned to a tag or digest."),
		"network":        enum("", "BRIDGE", "HOST", "NONE", "USER"),
		"portMappings":   arrayOf(portMappingShape()),
		"privileged":     boolean(""),
		"forcePullImage": boolean(""),
		"parameters": arrayOf(object("", map[string]*shape{
			"key": str(""), "value": str(""),
		}, "key", "value")),
		"credential": object("", map[string]*shape{"principal": str(""), "secret": str("")}, "principal"),
	}, "image")
	volume := object("", map[string]*shape{
		"containerPath": str(""),
		"hostPath":      str(""),
		"mode":          enum("", "RO", "RW"),
		"persistent": object("", map[string]*shape{
			"type":        enum("", "root", "path", "mount"),
			"size":        integer("").atLeast(0),
			"maxSize":     integer("").atLeast(0),
			"constraints": arrayOf(arrayOf(str(""))),
		}, "size"),
		"external": object("", map[string]*shape{
			"size":     integer("").atLeast(0),
			"name":     str(""),
			"provider": str(""),
			"options":  mapOf(str("")),
		}, "name", "provider"),
	}, "containerPath", "mode")
	return object("The container the task runs in.", map[string]*shape{
		"type":    enum("", "DOCKER", "MESOS"),
		"docker":  docker,
		"volumes": arrayOf(volume),
	})
}

func healthCheckShape() *shape {
	return object("", map[string]*shape{
		"protocol":               enum("", "HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"),
		"path":                   str("HTTP path."),
		"portIndex":              integer("Index into the app's ports.").atLeast(0),
		"port":                   integer("").atLeast(0).atMost(65535),
		"command":                object("", map[string]*shape{"value": str("")}, "value"),
		"gracePeriodSeconds":     integer("").atLeast(0),
		"intervalSeconds":        integer("").atLeast(0),
		"timeoutSeconds":         integer("").atLeast(0),
		"maxConsecutiveFailures": integer("").atLeast(0),
		"delaySeconds":           integer("").atLeast(0),
		"ignoreHttp1xx":          boolean(""),
	})
}

func readinessCheckShape() *shape {
	return object("", map[string]*shape{
		"name":                    str(""),
		"protocol":                enum("", "HTTP", "HTTPS"),
		"path":                    str(""),
		"portName":                str(""),
		"intervalSeconds":         integer("").atLeast(0),
		"timeoutSeconds":          integer("").atLeast(0),
		"httpStatusCodesForReady": arrayOf(integer("").atLeast(100).atMost(599)),
		"preserveLastResponse":    boolean(""),
	})
}

func upgradeStrategyShape() *shape {
	return object("How Marathon replaces tasks.", map[string]*shape{
		"minimumHealthCapacity": num("").atLeast(0).atMost(1),
		"maximumOverCapacity":   num("").atLeast(0).atMost(1),
	})
}

func ipAddressShape() *shape {
	return object("IP-per-task networking.", map[string]*shape{
		"groups":      arrayOf(str("")),
		"labels":      mapOf(str("")),
		"networkName": str(""),
		"discovery": object("", map[string]*shape{
			"ports": arrayOf(object("", map[string]*shape{
				"number":   integer("").atLeast(0).atMost(65535),
				"name":     str(""),
				"protocol": enum("", "tcp", "udp"),
			})),
		}),
	})
}

func residencyShape() *shape {
	return object("", map[string]*shape{
		"relaunchEscalationTimeoutSeconds": integer("").atLeast(0),
		"taskLostBehavior":                 enum("", "WAIT_FOREVER", "RELAUNCH_AFTER_TIMEOUT"),
	})
}

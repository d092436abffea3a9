package specs

// APIVersion is the only apiVersion of the spec kinds.
const APIVersion = "pacer.dev/v1"

// The spec kinds.
const (
	KindCluster      = "Cluster"
	KindServiceGroup = "ServiceGroup"
)

// shapes holds the description of each kind, built once per Load.
type shapes struct {
	cluster, serviceGroup *shape
}

func newShapes() *shapes {
	return &shapes{cluster: clusterShape(), serviceGroup: serviceGroupShape()}
}

func (s *shapes) forKind(k string) *shape {
	switch k {
	case KindCluster:
		return s.cluster
	case KindServiceGroup:
		return s.serviceGroup
	}
	return nil
}

func documentShape(kindName, doc string, metadata, spec *shape) *shape {
	return object(doc, map[string]*shape{
		"apiVersion": enum("Always "+APIVersion+".", APIVersion),
		"kind":       enum("", kindName),
		"metadata":   metadata,
		"spec":       spec,
	}, "apiVersion", "kind", "metadata", "spec").named(kindName)
}

func nameShape(doc string) *shape {
	s := str(doc)
	s.pattern = segmentPattern
	return s
}

func clusterShape() *shape {
	meta := object("", map[string]*shape{"name": nameShape("Cluster name, used by ServiceGroup environments and --cluster.")}, "name")
	spec := object("", map[string]*shape{
		"marathon": object("How to reach the cluster's Marathon.", map[string]*shape{
			"expect":  expectShape(),
			"urls":    arrayOf(str("http(s) URL of a Marathon master.")).nonEmpty().described("Marathon masters, tried in turn."),
			"timeout": str("How long one request to one Marathon URL may take, a Go duration such as 30s (default 30s); --marathon-timeout and PACER_MARATHON_TIMEOUT win."),
			"basicAuth": marathonSecretShape("Where the Marathon HTTP basic auth credentials (user:password) come from; never inline.",
				"Marathon credentials are secrets and must not be written in specs; use {fromEnv: VAR} or {fromFile: path}"),
			"token": marathonSecretShape("Where the DC/OS token for Marathon (sent as Authorization: token=...) comes from; never inline.",
				"Marathon tokens are secrets and must not be written in specs; use {fromEnv: VAR} or {fromFile: path}"),
		}, "urls"),
		"plan": planShape("of every ServiceGroup deployed to this cluster"),
		"loadBalancers": object("The load balancers pacer configures in this cluster. Apps deployed here must name a listed realm or group in NIXY_REALM and HAPROXY_GROUP / HAPROXY_{n}_GROUP; a list left out is not checked.", map[string]*shape{
			"nixyRealms":    arrayOf(nameShape("")).described("nixy realms (label NIXY_REALM) served here; an app naming another realm is invalid."),
			"haproxyGroups": arrayOf(nameShape("")).described("marathon-lb groups (label HAPROXY_GROUP, HAPROXY_{n}_GROUP) served here; an app naming another group is invalid (\"*\" in the label matches any)."),
		}),
	}, "marathon")
	return documentShape(KindCluster, "A Marathon cluster pacer deploys to.", meta, spec)
}

// marathonSecretShape is a {fromEnv | fromFile} reference to a Marathon
// credential; a scalar is refused with scalarMsg.
func marathonSecretShape(doc, scalarMsg string) *shape {
	s := object(doc, map[string]*shape{
		"fromEnv":  str("Environment variable holding the secret."),
		"fromFile": str("File holding the secret."),
	})
	s.scalarMsg = scalarMsg
	return s
}

func serviceGroupShape() *shape {
	parent := str("Absolute group the service lives in, e.g. /services (default /).")
	parent.pattern = parentPattern
	meta := object("", map[string]*shape{
		"name":   nameShape("Service name; the group path is <parent>/<name>/<environment>."),
		"parent": parent,
	}, "name")
	spec := object("", map[string]*shape{
		"defaults":     appShape().described("Fields merged under every app of the group (the app wins)."),
		"environments": mapOf(environmentShape()).described("Environments by name; each becomes a Marathon group."),
		"apps":         mapOf(groupAppShape()).described("Apps by name; the id is <parent>/<name>/<environment>/<app>."),
		"plan":         planShape("of this group (added to the Cluster's spec.plan)"),
		"checks":       mapOf(checkShape()).described("Custom checks by name (the Nagios replacement), rendered per environment and cluster like apps."),
	}, "environments", "apps")
	return documentShape(KindServiceGroup, "A service: its apps, deployed once per environment.", meta, spec)
}

func groupAppShape() *shape {
	fields := appFields()
	fields["ignoreDifferences"] = arrayOf(str("JSON pointer, e.g. /instances.")).described("Fields pacer never reports as drift nor overwrites.")
	overlay := appShape().described("Fields merged over the app in this environment (lists are replaced, null removes).")
	fields["environments"] = mapOf(overlay).described("Per-environment overlays.")
	s := object("A Marathon app definition (Marathon 1.4 JSON field names) plus pacer's fields.", fields)
	s.hints = appShape().hints
	return s.named("App")
}

func environmentShape() *shape {
	routingKey := object("Where the PagerDuty routing key comes from; never inline.", map[string]*shape{
		"fromEnv":  str("Environment variable holding the key."),
		"fromFile": str("File holding the key."),
	}).named("SecretRef")
	routingKey.scalarMsg = "routing keys are secrets and must not be written in specs; use {fromEnv: VAR} or {fromFile: path}"
	alerting := object("Paging for this environment.", map[string]*shape{
		"urgency":    enum("PagerDuty urgency.", "high", "low"),
		"routingKey": routingKey,
		"for":        mapOf(str("Go duration, e.g. 5m.")).described("How long a condition must last before paging, by condition (" + conditionList() + ")."),
	}, "urgency", "routingKey")
	sync := object("How pacer converges this environment.", map[string]*shape{
		"policy": enum("automated applies every change (default); manual only plans.", SyncAutomated, SyncManual),
		"prune":  boolean("Delete managed apps that left the specs (default false)."),
	})
	return object("", map[string]*shape{
		"clusters": arrayOf(nameShape("")).nonEmpty().described("Clusters the environment is deployed to."),
		"alerting": alerting,
		"sync":     sync,
	}, "clusters").named("Environment")
}

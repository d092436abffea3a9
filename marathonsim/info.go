package marathonsim

import "net/http"

// simVersion is the Marathon version the simulator emulates.
const simVersion = "1.4.13"

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	leader := s.leaderHost(r)
	writeJSON(w, 200, map[string]any{
		"name":        "marathon",
		"version":     simVersion,
		"buildref":    "8d31177218d676326f5ac95f3e963403105a568d",
		"elected":     true,
		"leader":      leader,
		"frameworkId": s.opts.FrameworkID,
		"marathon_config": map[string]any{
			"access_control_allow_origin":        nil,
			"checkpoint":                         true,
			"decline_offer_duration":             120000,
			"default_network_name":               nil,
			"env_vars_prefix":                    nil,
			"executor":                           "//cmd",
			"failover_timeout":                   604800,
			"features":                           []string{},
			"framework_name":                     "marathon",
			"ha":                                 false,
			"hostname":                           "127.0.0.1",
			"launch_token":                       100,
			"launch_token_refresh_interval":      30000,
			"leader_proxy_connection_timeout_ms": 5000,
			"leader_proxy_read_timeout_ms":       10000,
			"local_port_max":                     servicePortMax,
			"local_port_min":                     servicePortMin,
			"master":                             "local",
			"max_instances_per_offer":            5,
			"mesos_heartbeat_failure_threshold":  5,
			"mesos_heartbeat_interval":           15000,
			"mesos_leader_ui_url":                "http://127.0.0.1:5050/",
			"mesos_role":                         nil,
			"mesos_user":                         "nobody",
			"min_revive_offers_interval":         5000,
			"offer_matching_timeout":             1000,
			"on_elected_prepare_timeout":         180000,
			"reconciliation_initial_delay":       15000,
			"reconciliation_interval":            600000,
			"revive_offers_for_new_apps":         true,
			"revive_offers_repetitions":          3,
			"scale_apps_initial_delay":           15000,
			"scale_apps_interval":                300000,
			"store_cache":                        true,
			"task_launch_confirm_timeout":        300000,
			"task_launch_timeout":                300000,
			"task_lost_expunge_initial_delay":    300000,
			"task_lost_expunge_interval":         30000,
			"task_reservation_timeout":           20000,
			"webui_url":                          nil,
		},
		"zookeeper_config": map[string]any{
			"zk": s.opts.ZK, "zk_compression": true, "zk_compression_threshold": 65536,
			"zk_connection_timeout": 10000, "zk_max_node_size": 1024000, "zk_max_versions": 50,
			"zk_session_timeout": 10000, "zk_timeout": 10000,
		},
		"event_subscriber": s.eventSubscriberInfo(),
		"http_config":      map[string]any{"http_port": 8080, "https_port": 8443},
	})
}

func (s *Server) handleLeader(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, 200, map[string]string{"leader": s.leaderHost(r)})
	case http.MethodDelete:
		writeJSON(w, 200, map[string]string{"message": "Leadership abdicated"})
	default:
		writeErr(w, errMsg(405, "HTTP 405 Method Not Allowed"))
	}
}

// eventSubscriberInfo is InfoResource's event_subscriber
// (api/v2/InfoResource.scala:85-98, 120 at v1.4.13): null without
// --event_subscriber, else its type and, for http_callback, the
// --http_endpoints given at start (none here).
func (s *Server) eventSubscriberInfo() any {
	if s.opts.EventSubscriber == "" {
		return nil
	}
	return map[string]any{"type": s.opts.EventSubscriber, "http_endpoints": nil}
}

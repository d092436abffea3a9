package marathonsim

import "net/http"

// simVersion is the Marathon version the simulator emulates.
const simVersion = "1.4.13"

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	leader := r.Host
	writeJSON(w, 200, map[string]any{
		"name":        "marathon",
		"version":     simVersion,
		"buildref":    "8d31177218d676326f5ac95f3e963403105a568d",
		"elected":     true,
		"leader":      leader,
		"frameworkId": "marathonsim-0000",
		"marathon_config": map[string]any{
			"checkpoint": true, "executor": "//cmd", "failover_timeout": 604800, "features": []string{},
			"framework_name": "marathon", "ha": false, "hostname": "127.0.0.1", "local_port_max": servicePortMax,
			"local_port_min": servicePortMin, "master": "local", "mesos_role": nil, "mesos_user": "nobody",
			"task_launch_timeout": 300000, "webui_url": nil, "access_control_allow_origin": nil,
			"decline_offer_duration": 120000, "default_network_name": nil, "env_vars_prefix": nil,
		},
		"zookeeper_config": map[string]any{
			"zk": "zk://localhost:2181/marathon", "zk_compression": true, "zk_compression_threshold": 65536,
			"zk_connection_timeout": 10000, "zk_max_node_size": 1024000, "zk_max_versions": 50,
			"zk_session_timeout": 10000, "zk_timeout": 10000,
		},
		"event_subscriber": nil,
		"http_config":      map[string]any{"http_port": 8080, "https_port": 8443},
	})
}

func (s *Server) handleLeader(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Marathon-Leader", "http://"+r.Host)
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, 200, map[string]string{"leader": r.Host})
	case http.MethodDelete:
		writeJSON(w, 200, map[string]string{"message": "Leadership abdicated"})
	default:
		writeErr(w, errMsg(405, "HTTP 405 Method Not Allowed"))
	}
}

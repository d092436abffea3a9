// Package lb keeps nginx and HAProxy load balancers converged on the tasks
// Marathon reports as serving.
//
// Marathon apps (go-marathon types) are turned into a sorted []Backend by the
// pure Backends function (backends.go): which tasks serve, realm and group
// filtering, hosts, ports and protocols. A Renderer turns backends into config
// bytes (nixy-compatible nginx, marathon-lb-compatible HAProxy, or a user's Go
// template), and FileSink writes them atomically, validating with the real
// binary before the file is put in place and reloading afterwards. HAProxy
// backends have spare server slots, so a change of tasks inside an unchanged
// structure goes to the running HAProxy through its stats socket
// (HAProxyRuntime) without a reload; the file is still rewritten. nginx
// does the same with RenderOptions.NginxAPI: HTTP upstreams are balanced by
// a Lua balancer reading server lists that NginxRuntime sends to an API the
// config serves (nginx_dynamic.go). HostCache resolves agent host names so
// their tasks can take these paths too.
package lb

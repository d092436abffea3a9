// Package loopback gives tests that run real servers their own loopback
// address, so that parallel tests (and test binaries that `go test ./...`
// runs in parallel) never compete for the same port.
//
// The load balancer tests start real nginx and HAProxy in front of
// marathonsim simulators, and every simulator assigns service ports from
// 10000 up: two such tests on 127.0.0.1 would both bind 127.0.0.1:10000. On
// Linux the whole of 127.0.0.0/8 is loopback without configuration, so each
// test takes a random 127.a.b.c with Addr and binds its listeners there
// (--bind, --listen-http, RenderOptions.Bind/ListenHTTP); its clients
// connect to the same address.
//
// The package is for tests only: nothing outside _test.go files imports it.
package loopback

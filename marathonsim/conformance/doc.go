// Package conformance proves that the simulator answers like a real
// Marathon 1.4.13. It holds only tests: each request/response pair recorded
// from Marathon's documentation and go-marathon v0.7.1's fixture (copied
// verbatim into testdata/, see testdata/SOURCES.md) is replayed against
// marathonsim and the answer's JSON shape (field names, JSON types, status
// code) is compared, values such as ids and timestamps aside. Where
// BEHAVIOUR.md (../shared/marathon-api) says an example is older than
// Marathon's code, the expected shape is patched and every patch says why.
// A scripted go-marathon v0.7.1 session drives the simulator end to end.
package conformance

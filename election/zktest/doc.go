// Package zktest runs a real, standalone ZooKeeper server for tests.
//
// The server comes from the Debian package zookeeper (jars under
// /usr/share/java). Each server gets its own temporary data directory and a
// free loopback client port, is started as a child process of the test, is
// polled with the four-letter word srvr until it serves, and is always stopped
// in t.Cleanup. Proxy puts a controllable TCP hop in front of it, so a test
// can partition one client from the ensemble without touching the others.
package zktest

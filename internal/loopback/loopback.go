package loopback

import (
	"math/rand/v2"
	"net"
	"strconv"
	"testing"
)

// attempts is how many random addresses Addr tries before it gives up.
const attempts = 8

// Addr returns a random loopback address 127.a.b.c (a in 1..254, so never
// 127.0.0.1 or 127.0.1.1; c neither 0 nor 255) on which a TCP listener can
// be opened, and logs it. It fails the test when none of a few tries can be
// bound (a system where only 127.0.0.1 is loopback).
func Addr(tb testing.TB) string {
	tb.Helper()
	var errs []error
	for range attempts {
		addr := net.IPv4(127, byte(1+rand.IntN(254)), byte(rand.IntN(256)), byte(1+rand.IntN(254))).String()
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ln.Close()
		tb.Logf("loopback address %s", addr)
		return addr
	}
	tb.Fatalf("no bindable loopback address in %d tries: %v", attempts, errs)
	return ""
}

// Port returns a TCP port nothing listens on at addr, for a server the test
// starts there next. Only the test's own servers use addr, so the port stays
// free until then.
func Port(tb testing.TB, addr string) int {
	tb.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		tb.Fatalf("free port on %s: %v", addr, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// HostPort is addr:port.
func HostPort(addr string, port int) string {
	return net.JoinHostPort(addr, strconv.Itoa(port))
}

package loopback

import (
	"net"
	"testing"
)

func TestAddr(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		addr := Addr(t)
		ip := net.ParseIP(addr).To4()
		if ip == nil || ip[0] != 127 || ip[1] == 0 || ip[1] == 255 || ip[3] == 0 || ip[3] == 255 {
			t.Fatalf("Addr = %q, want 127.a.b.c with a in 1..254, c in 1..254", addr)
		}
		seen[addr] = true
		port := Port(t, addr)
		ln, err := net.Listen("tcp", HostPort(addr, port))
		if err != nil {
			t.Fatalf("listen on %s:%d from Port: %v", addr, port, err)
		}
		ln.Close()
	}
	if len(seen) < 2 {
		t.Errorf("20 calls gave the addresses %v; want them random", seen)
	}
	if got := HostPort("127.1.2.3", 80); got != "127.1.2.3:80" {
		t.Errorf("HostPort = %q", got)
	}
}

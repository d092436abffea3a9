package zktest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// zkJar carries the other jars it needs in its manifest Class-Path.
	zkJar = "/usr/share/java/zookeeper.jar"
	// slf4jSimple sends the server's log to its stderr, which goes to a file.
	slf4jSimple = "/usr/share/java/slf4j-simple.jar"
	mainClass   = "org.apache.zookeeper.server.ZooKeeperServerMain"
	installHint = "run make deps (apt-get install zookeeper)"

	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// TickTime is the server's tick. ZooKeeper accepts session timeouts between
// 2 and 50 ticks (400 ms to 10 s), so tests can expire sessions quickly.
const TickTime = 200 * time.Millisecond

// Server is one standalone ZooKeeper server process.
type Server struct {
	tb      testing.TB
	dir     string
	addr    string
	mu      sync.Mutex
	cmd     *exec.Cmd
	waitErr chan error
}

// Start runs a ZooKeeper server for the test and returns once it serves
// requests. The server is stopped in t.Cleanup. The test fails if the
// zookeeper package or java is missing.
func Start(tb testing.TB) *Server {
	tb.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		tb.Fatalf("zktest: java not found: %v; %s", err, installHint)
	}
	if _, err := os.Stat(zkJar); err != nil {
		tb.Fatalf("zktest: %v; %s", err, installHint)
	}
	dir := tb.TempDir()
	port, err := freePort()
	if err != nil {
		tb.Fatalf("zktest: %v", err)
	}
	s := &Server{tb: tb, dir: dir, addr: net.JoinHostPort("127.0.0.1", port)}
	if err := s.writeConfig(port); err != nil {
		tb.Fatalf("zktest: %v", err)
	}
	tb.Cleanup(s.Stop)
	s.start(java)
	return s
}

// Addr is the client address, host:port on loopback.
func (s *Server) Addr() string { return s.addr }

// Restart starts a stopped server again on the same port and data directory.
func (s *Server) Restart() {
	s.tb.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		s.tb.Fatalf("zktest: java not found: %v; %s", err, installHint)
	}
	s.start(java)
}

func (s *Server) writeConfig(port string) error {
	data := filepath.Join(s.dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	cfg := strings.Join([]string{
		fmt.Sprintf("tickTime=%d", TickTime.Milliseconds()),
		"dataDir=" + data,
		"clientPort=" + port,
		"clientPortAddress=127.0.0.1",
		"admin.enableServer=false",
		"4lw.commands.whitelist=srvr,ruok,stat,cons",
		"maxClientCnxns=0",
		"",
	}, "\n")
	path := filepath.Join(s.dir, "zoo.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (s *Server) start(java string) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.tb.Fatalf("zktest: server %s already running", s.addr)
	}
	logPath := filepath.Join(s.dir, "zookeeper.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.tb.Fatalf("zktest: open log: %v", err)
	}
	defer logFile.Close()
	cmd := exec.Command(java,
		"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dzookeeper.admin.enableServer=false",
		"-Dzookeeper.log.dir="+s.dir,
		"-cp", zkJar+":"+slf4jSimple,
		mainClass, filepath.Join(s.dir, "zoo.cfg"))
	cmd.Dir = s.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Own process group, and killed with the test process if it dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("zktest: start zookeeper: %v; %s", err, installHint)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	s.cmd, s.waitErr = cmd, waitErr

	deadline := time.Now().Add(startTimeout)
	for {
		if Serving(s.addr) {
			return
		}
		select {
		case err := <-waitErr:
			s.cmd = nil
			s.tb.Fatalf("zktest: zookeeper exited before serving: %v\n%s", err, tail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("zktest: zookeeper on %s not serving after %s\n%s", s.addr, startTimeout, tail(logPath))
		}
	}
}

// Stop kills the server (SIGKILL, as a crash would) and waits for it to exit.
// The data directory stays, so Restart brings back the same state. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.waitErr:
	case <-time.After(stopTimeout):
		s.tb.Errorf("zktest: zookeeper pid %d did not exit after SIGKILL", s.cmd.Process.Pid)
	}
	s.cmd = nil
}

// Serving reports whether a ZooKeeper server at addr answers srvr as a
// serving server.
func Serving(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return false
	}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "Mode: ") {
			return true
		}
	}
	return false
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	if err != nil {
		return "", fmt.Errorf("find free port: %w", err)
	}
	return port, nil
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// Package clustertest runs a small JetStream cluster for tests: three nats-server
// processes on 127.0.0.1 with fixed (randomly chosen) client, route and monitoring
// ports, each with its own store directory and fsync on every write.
//
// The servers are separate processes, not servers embedded in the test process,
// so that a node can crash: KillNode sends SIGKILL, and the other nodes find out
// only when its heartbeats stop, as with a machine that loses power. An embedded
// server's Shutdown is always graceful — it hands its raft leaderships over before
// it stops (server.Shutdown calls stepdownRaftNodes) — so it cannot model a
// crashed stream leader. StopNode is that graceful shutdown (SIGTERM).
// RestartNode starts a node again on the same ports and files.
//
// The nats-server binary is built from the module's own nats-server dependency
// (same version as the embedded server) with `go build`, once, into the user
// cache directory; ARKEEP_NATS_SERVER names a binary to use instead.
//
// It is test support only: nothing in the arkeep binary uses it.
package clustertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// readyTimeout bounds how long a node may take to become healthy.
const readyTimeout = 60 * time.Second

// nodeCount is the number of servers in a cluster; clusterName is its name.
const (
	nodeCount   = 3
	clusterName = "arkeep-test"
)

// Config shapes a cluster.
type Config struct {
	// Dir holds each node's store directory, configuration and log. Required.
	Dir string
}

// Node is one server of the cluster.
type Node struct {
	Name        string
	StoreDir    string
	ClientPort  int
	ClusterPort int
	HTTPPort    int

	conf string // configuration file
	log  string // log file

	cmd    *exec.Cmd     // nil while the node is down
	exited chan struct{} // closed when cmd has been reaped
}

// Cluster is a running (or partly running) cluster. Its methods are safe for
// concurrent use.
type Cluster struct {
	bin string

	mu    sync.Mutex
	nodes []*Node
	admin *nats.Conn
	js    jetstream.JetStream
}

// Start starts the nodes and waits until every one is healthy (JetStream meta
// leader known, node current).
func Start(cfg Config) (*Cluster, error) {
	if cfg.Dir == "" {
		return nil, errors.New("clustertest: Config.Dir is required")
	}
	bin, err := ServerBinary()
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(3 * nodeCount)
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	var routes []string
	for i := 0; i < nodeCount; i++ {
		n := &Node{
			Name:        fmt.Sprintf("n%d", i+1),
			ClientPort:  ports[3*i],
			ClusterPort: ports[3*i+1],
			HTTPPort:    ports[3*i+2],
		}
		n.StoreDir = filepath.Join(cfg.Dir, n.Name)
		n.conf = filepath.Join(cfg.Dir, n.Name+".conf")
		n.log = filepath.Join(cfg.Dir, n.Name+".log")
		c.nodes = append(c.nodes, n)
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", n.ClusterPort))
	}
	for _, n := range c.nodes {
		if err := c.writeConf(n, routes); err != nil {
			return nil, err
		}
	}
	for _, n := range c.nodes {
		if err := c.launch(n); err != nil {
			c.Shutdown()
			return nil, err
		}
	}
	if err := c.WaitReady(readyTimeout); err != nil {
		c.Shutdown()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) writeConf(n *Node, routes []string) error {
	if err := os.MkdirAll(n.StoreDir, 0o750); err != nil {
		return fmt.Errorf("clustertest: %w", err)
	}
	conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
log_file: %q
jetstream {
	store_dir: %q
	max_file_store: 1GB
	max_memory_store: 64MB
	sync_interval: always
}
cluster {
	name: %s
	listen: 127.0.0.1:%d
	routes: [%s]
}
`, n.Name, n.ClientPort, n.HTTPPort, n.log, n.StoreDir, clusterName, n.ClusterPort, strings.Join(routes, ", "))
	if err := os.WriteFile(n.conf, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("clustertest: %w", err)
	}
	return nil
}

// launch starts n's process and waits until it accepts client connections.
func (c *Cluster) launch(n *Node) error {
	cmd := exec.Command(c.bin, "-c", n.conf)
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("clustertest: start node %s: %w", n.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	c.mu.Lock()
	n.cmd, n.exited = cmd, exited
	c.mu.Unlock()

	deadline := time.Now().Add(readyTimeout)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.ClientPort), time.Second)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("clustertest: node %s exited at start: %s", n.Name, tail(n.log))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("clustertest: node %s not listening after %s", n.Name, readyTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tail is the end of a log file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return string(b)
}

// freePorts asks the kernel for n distinct free TCP ports on 127.0.0.1. They are
// released before the servers bind them; a clash with another process in between
// is possible but rare, and shows as a start error.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("clustertest: pick a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// node finds a node by name.
func (c *Cluster) node(name string) (*Node, error) {
	for _, n := range c.nodes {
		if n.Name == name {
			return n, nil
		}
	}
	return nil, fmt.Errorf("clustertest: no node %q", name)
}

// Names lists the node names, in order.
func (c *Cluster) Names() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.Name
	}
	return out
}

// Up reports whether a node's process is running.
func (c *Cluster) Up(name string) bool {
	n, err := c.node(name)
	if err != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return n.cmd != nil
}

// URLs is the comma-separated list of every node's client URL (down nodes
// included: a client's reconnect logic copes, and a restarted node comes back on
// the same port).
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		urls[i] = fmt.Sprintf("nats://127.0.0.1:%d", n.ClientPort)
	}
	return strings.Join(urls, ",")
}

// jetStream is the cluster's own client, for stream state queries.
func (c *Cluster) jetStream() (jetstream.JetStream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.js != nil {
		return c.js, nil
	}
	nc, err := nats.Connect(c.URLs(), nats.Name("clustertest"), nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond), nats.Timeout(2*time.Second),
		// Nodes are killed on purpose: their connection errors are expected.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		return nil, fmt.Errorf("clustertest: connect: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("clustertest: %w", err)
	}
	c.admin, c.js = nc, js
	return js, nil
}

// StreamInfo asks the cluster for a stream's state (answered by its leader).
func (c *Cluster) StreamInfo(stream string) (*jetstream.StreamInfo, error) {
	js, err := c.jetStream()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	return s.CachedInfo(), nil
}

// StreamLeader names the node leading stream, "" when none does right now (or the
// cluster cannot say: no quorum, an election under way).
func (c *Cluster) StreamLeader(stream string) string {
	info, err := c.StreamInfo(stream)
	if err != nil || info.Cluster == nil || !c.Up(info.Cluster.Leader) {
		return ""
	}
	return info.Cluster.Leader
}

// StreamFollowers names the replicas of stream other than its leader.
func (c *Cluster) StreamFollowers(stream string) []string {
	info, err := c.StreamInfo(stream)
	if err != nil || info.Cluster == nil {
		return nil
	}
	var out []string
	for _, r := range info.Cluster.Replicas {
		out = append(out, r.Name)
	}
	return out
}

// WaitForStreamLeader waits until some running node leads stream and returns its
// name.
func (c *Cluster) WaitForStreamLeader(stream string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if l := c.StreamLeader(stream); l != "" {
			return l, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("clustertest: no leader for stream %q after %s", stream, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitForStreamCurrent waits until stream has a leader and every other replica is
// online and current.
func (c *Cluster) WaitForStreamCurrent(stream string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		info, err := c.StreamInfo(stream)
		if err == nil && info.Cluster != nil && info.Cluster.Leader != "" {
			ok := len(info.Cluster.Replicas) == info.Config.Replicas-1
			for _, r := range info.Cluster.Replicas {
				if !r.Current || r.Offline {
					ok = false
				}
			}
			if ok {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("clustertest: replicas of stream %q not current after %s", stream, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitReady waits until every running node answers its health check: JetStream
// enabled, meta leader known, the node's assets current.
func (c *Cluster) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for _, n := range c.nodes {
		if !c.Up(n.Name) {
			continue
		}
		for {
			resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", n.HTTPPort))
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("clustertest: node %s not healthy after %s: %v", n.Name, timeout, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// KillNode crashes a node: SIGKILL, no goodbye to its peers. Its files stay;
// RestartNode brings it back.
func (c *Cluster) KillNode(name string) error { return c.stop(name, syscall.SIGKILL) }

// StopNode shuts a node down gracefully (SIGTERM): it hands its leaderships over
// first.
func (c *Cluster) StopNode(name string) error { return c.stop(name, syscall.SIGTERM) }

func (c *Cluster) stop(name string, sig syscall.Signal) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.cmd, n.exited = nil, nil
	c.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("clustertest: node %s is not running", name)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("clustertest: signal node %s: %w", name, err)
	}
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("clustertest: node %s did not stop on %v within 30s; killed", name, sig)
	}
}

// RestartNode starts a stopped node again on its ports and store directory. It
// returns once the node accepts connections; WaitReady or WaitForStreamCurrent
// tell when it has caught up.
func (c *Cluster) RestartNode(name string) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	if c.Up(name) {
		return fmt.Errorf("clustertest: node %s is already running", name)
	}
	return c.launch(n)
}

// KillAll crashes every running node at once.
func (c *Cluster) KillAll() error {
	var errs []error
	for _, n := range c.Names() {
		if c.Up(n) {
			errs = append(errs, c.KillNode(n))
		}
	}
	return errors.Join(errs...)
}

// RestartAll starts every stopped node, then waits until the cluster is ready.
func (c *Cluster) RestartAll() error {
	for _, n := range c.Names() {
		if !c.Up(n) {
			if err := c.RestartNode(n); err != nil {
				return err
			}
		}
	}
	return c.WaitReady(readyTimeout)
}

// Shutdown kills every running node and closes the cluster's client. It is
// idempotent.
func (c *Cluster) Shutdown() {
	c.mu.Lock()
	if c.admin != nil {
		c.admin.Close()
		c.admin, c.js = nil, nil
	}
	c.mu.Unlock()
	_ = c.KillAll()
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// ServerBinary returns the nats-server binary the cluster runs: $ARKEEP_NATS_SERVER
// if set, otherwise one built with `go build` from the nats-server module this
// module depends on, cached per version in the user cache directory.
func ServerBinary() (string, error) {
	binOnce.Do(func() {
		if p := os.Getenv("ARKEEP_NATS_SERVER"); p != "" {
			binPath = p
			return
		}
		binPath, binErr = buildServer()
	})
	return binPath, binErr
}

const serverModule = "github.com/nats-io/nats-server/v2"

func buildServer() (string, error) {
	version := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == serverModule {
				version = d.Version
				if d.Replace != nil {
					version = "" // a local replacement: always rebuild
				}
			}
		}
	}
	dir, err := os.UserCacheDir()
	if err != nil || version == "" {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "arkeep-clustertest")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("clustertest: %w", err)
	}
	target := filepath.Join(dir, "nats-server-"+version)
	if version != "" {
		if fi, err := os.Stat(target); err == nil && fi.Mode().IsRegular() {
			return target, nil
		}
	} else {
		target = filepath.Join(dir, fmt.Sprintf("nats-server-%d", os.Getpid()))
	}
	tmp := fmt.Sprintf("%s.tmp%d", target, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, serverModule)
	// Whatever flags the tests run with (-race, -cover), the server is built plain.
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("clustertest: go build %s: %w\n%s", serverModule, err, out)
	}
	if err := os.Rename(tmp, target); err != nil {
		return "", fmt.Errorf("clustertest: %w", err)
	}
	return target, nil
}

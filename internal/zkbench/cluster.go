package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cluster is a 3-server ensemble of one kind, each server a process of its
// own on loopback.
type cluster struct {
	kind    string // "zookeeper" or "zabplay"
	dir     string
	tickMs  int
	n       int
	client  []string // client addresses, server i at i-1
	quorum  []int
	elect   []int
	procs   []*exec.Cmd
	bin     string // the zabplay binary
	started time.Time
}

// freePorts picks n ports nothing listens on (held until all are chosen).
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func newCluster(kind, root, bin string, tickMs, n int) (*cluster, error) {
	c := &cluster{kind: kind, dir: filepath.Join(root, kind), tickMs: tickMs, n: n, bin: bin, procs: make([]*exec.Cmd, n)}
	ports, err := freePorts(3 * n)
	if err != nil {
		return nil, err
	}
	for i := range n {
		c.client = append(c.client, fmt.Sprintf("127.0.0.1:%d", ports[i]))
		c.quorum = append(c.quorum, ports[n+i])
		c.elect = append(c.elect, ports[2*n+i])
		if err := os.MkdirAll(c.data(i), 0o755); err != nil {
			return nil, err
		}
	}
	if kind == "zookeeper" {
		for i := range n {
			if err := os.WriteFile(filepath.Join(c.data(i), "myid"), []byte(strconv.Itoa(i+1)+"\n"), 0o644); err != nil {
				return nil, err
			}
			var b strings.Builder
			fmt.Fprintf(&b, "tickTime=%d\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\n",
				tickMs, c.data(i), portOf(c.client[i]))
			b.WriteString("maxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=srvr,ruok,mntr\nforceSync=yes\n")
			for j := range n {
				fmt.Fprintf(&b, "server.%d=127.0.0.1:%d:%d\n", j+1, c.quorum[j], c.elect[j])
			}
			if err := os.WriteFile(c.cfgFile(i), []byte(b.String()), 0o644); err != nil {
				return nil, err
			}
		}
	} else {
		secret := make([]byte, 32)
		rand.Read(secret)
		if err := os.WriteFile(filepath.Join(c.dir, "secret"), []byte(base64.StdEncoding.EncodeToString(secret)), 0o600); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func (c *cluster) data(i int) string    { return filepath.Join(c.dir, fmt.Sprintf("s%d", i+1)) }
func (c *cluster) cfgFile(i int) string { return filepath.Join(c.dir, fmt.Sprintf("zoo%d.cfg", i+1)) }

// start starts server i (0-based).
func (c *cluster) start(i int) error {
	var cmd *exec.Cmd
	if c.kind == "zookeeper" {
		// As zkServer.sh starts it, with its default heap (ZK_SERVER_HEAP=1000).
		cmd = exec.Command("java", "-Xmx1000m", "-XX:+UseG1GC",
			"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
			"-Dorg.slf4j.simpleLogger.logFile="+filepath.Join(c.data(i), "server.log"),
			"-Dzookeeper.admin.enableServer=false",
			"-cp", "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
			"org.apache.zookeeper.server.quorum.QuorumPeerMain", c.cfgFile(i))
	} else {
		var peers []string
		for j := range c.n {
			peers = append(peers, fmt.Sprintf("%d=127.0.0.1:%d", j+1, c.quorum[j]))
		}
		cmd = exec.Command(c.bin, "node", "--id", strconv.Itoa(i+1), "--peers", strings.Join(peers, ","),
			"--data", c.data(i), "--secret-file", filepath.Join(c.dir, "secret"),
			"--tick", fmt.Sprintf("%dms", c.tickMs), "--init", "10", "--sync", "5",
			"--client", c.client[i], "--max-client-conns-per-ip", "1000")
	}
	log, err := os.OpenFile(filepath.Join(c.dir, fmt.Sprintf("s%d.out", i+1)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("%s s%d: %w", c.kind, i+1, err)
	}
	log.Close()
	c.procs[i] = cmd
	return nil
}

func (c *cluster) startAll() error {
	c.started = time.Now()
	for i := range c.n {
		if err := c.start(i); err != nil {
			return err
		}
	}
	return nil
}

// kill sends SIGKILL to server i and waits for it.
func (c *cluster) kill(i int) {
	p := c.procs[i]
	if p == nil {
		return
	}
	syscall.Kill(-p.Process.Pid, syscall.SIGCONT)
	syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
	p.Wait()
	c.procs[i] = nil
}

func (c *cluster) signal(i int, sig syscall.Signal) { syscall.Kill(-c.procs[i].Process.Pid, sig) }

// stop kills every server and removes the data.
func (c *cluster) stop() {
	for i := range c.n {
		c.kill(i)
	}
	os.RemoveAll(c.dir)
}

// word asks server i a four-letter word.
func (c *cluster) word(i int, w string) string {
	nc, err := net.DialTimeout("tcp", c.client[i], 500*time.Millisecond)
	if err != nil {
		return ""
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(time.Second))
	nc.Write([]byte(w))
	var b strings.Builder
	sc := bufio.NewScanner(nc)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String()
}

var modeRE = regexp.MustCompile(`(?m)^Mode: (\w+)`)
var zxidRE = regexp.MustCompile(`(?m)^Zxid: 0x([0-9a-f]+)`)

// mode is server i's Mode line ("leader", "follower"), or "" when it does
// not serve.
func (c *cluster) mode(i int) string {
	m := modeRE.FindStringSubmatch(c.word(i, "srvr"))
	if m == nil {
		return ""
	}
	return m[1]
}

func (c *cluster) zxid(i int) (uint64, bool) {
	m := zxidRE.FindStringSubmatch(c.word(i, "srvr"))
	if m == nil {
		return 0, false
	}
	z, err := strconv.ParseUint(m[1], 16, 64)
	return z, err == nil
}

// leader waits until one server says it leads and the others serve.
func (c *cluster) leader(timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		lead, serving := -1, 0
		for i := range c.n {
			if c.procs[i] == nil {
				continue
			}
			switch c.mode(i) {
			case "leader":
				lead = i
				serving++
			case "follower":
				serving++
			}
		}
		if lead >= 0 && serving == c.running() {
			return lead, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return -1, fmt.Errorf("%s: no leader with every server serving after %v", c.kind, timeout)
}

func (c *cluster) running() int {
	n := 0
	for _, p := range c.procs {
		if p != nil {
			n++
		}
	}
	return n
}

// rssMB is server i's resident set size in MB (VmRSS).
func (c *cluster) rssMB(i int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.procs[i].Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

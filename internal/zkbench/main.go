// Command zkbench runs Apache ZooKeeper (Debian's 3.8) and zabplay side by
// side: a 3-server ensemble of each on loopback, fsync on in both, the
// same tickTime, driven by one harness over ZooKeeper's client protocol
// (go-zookeeper), and prints one table with ratios (issue 11). It leaves no
// process and no data behind. Run it with `task bench:zookeeper`.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

type result struct {
	seqP50, seqP99     time.Duration
	writes             map[int]rate // clients -> setData
	reads32            rate
	failKill, failStop time.Duration
	catchUp            time.Duration
	rssIdle, rss100k   float64 // MB, mean over the servers
	startToWrite       time.Duration
	notes              []string
}

func main() {
	tick := flag.Int("tick", 2000, "tickTime in ms, for both")
	dur := flag.Duration("dur", 5*time.Second, "how long each throughput run lasts")
	znodes := flag.Int("znodes", 100000, "znodes of 100 B for the memory measure")
	behind := flag.Int("behind", 10000, "txns a follower is behind for the catch-up measure")
	bin := flag.String("zabplay", "", "the zabplay binary (default: go build it)")
	only := flag.String("only", "", "run only zookeeper or zabplay")
	keep := flag.Bool("keep", false, "keep the servers' logs and data after a failure (the path is printed)")
	flag.Parse()
	log.SetFlags(log.Ltime)
	root, err := os.MkdirTemp("", "zkbench-*")
	if err != nil {
		log.Fatal(err)
	}
	var live []*cluster
	var mu sync.Mutex
	cleanup := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range live {
			c.stop()
		}
		os.RemoveAll(root)
	}
	defer cleanup()
	fatal := func(f string, a ...any) {
		log.Printf(f, a...)
		cleanup()
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		cleanup()
		os.Exit(1)
	}()
	if *bin == "" {
		*bin = filepath.Join(root, "zabplay-bin")
		log.Printf("building zabplay")
		cmd := exec.Command("go", "build", "-o", *bin, ".")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fatal("go build: %v", err)
		}
	}
	loadStart := loadAvg()
	res := map[string]*result{}
	for _, kind := range []string{"zookeeper", "zabplay"} {
		if *only != "" && *only != kind {
			continue
		}
		c, err := newCluster(kind, root, *bin, *tick, 3)
		if err != nil {
			fatal("%v", err)
		}
		mu.Lock()
		live = append(live, c)
		mu.Unlock()
		r, err := run(c, *dur, *znodes, *behind)
		if err != nil {
			tailLogs(c)
			if *keep {
				for i := range c.n {
					c.kill(i)
				}
				log.Printf("%s: %v; logs and data kept in %s", kind, err, root)
				os.Exit(1)
			}
			fatal("%s: %v", kind, err)
		}
		c.stop()
		res[kind] = r
	}
	printTable(res, *tick)
	fmt.Printf("\nload average (1 min) at the start %s, at the end %s, on %d cores\n", loadStart, loadAvg(), runtime.NumCPU())
}

// loadAvg is /proc/loadavg's 1-minute figure: what else was running.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func tailLogs(c *cluster) {
	for i := range c.n {
		b, _ := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("s%d.out", i+1)))
		lines := strings.Split(string(b), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		log.Printf("s%d:\n%s", i+1, strings.Join(lines, "\n"))
	}
}

func run(c *cluster, dur time.Duration, znodes, behind int) (*result, error) {
	r := &result{writes: map[int]rate{}}
	log.Printf("%s: starting 3 servers", c.kind)
	if err := c.startAll(); err != nil {
		return nil, err
	}
	d, err := startToFirstWrite(c)
	if err != nil {
		return nil, err
	}
	r.startToWrite = d
	log.Printf("%s: start to first write %v", c.kind, d)
	lead, err := c.leader(30 * time.Second)
	if err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second)
	r.rssIdle = meanRSS(c)
	log.Printf("%s: idle RSS %.0f MB; leader s%d", c.kind, r.rssIdle, lead+1)

	if r.seqP50, r.seqP99, err = seqCreates(c, 2000); err != nil {
		return nil, err
	}
	log.Printf("%s: sequential create p50 %v p99 %v", c.kind, r.seqP50, r.seqP99)
	for _, n := range []int{1, 8, 32, 128} {
		if r.writes[n], err = throughput(c, n, dur, true); err != nil {
			return nil, err
		}
		w := r.writes[n]
		log.Printf("%s: setData with %d clients: %.0f/s, p50 %v, p99 %v", c.kind, n, w.perSec, w.p50, w.p99)
	}
	if r.reads32, err = throughput(c, 32, dur, false); err != nil {
		return nil, err
	}
	log.Printf("%s: getData with 32 clients: %.0f/s, p50 %v, p99 %v", c.kind, r.reads32.perSec, r.reads32.p50, r.reads32.p99)

	if err := fill(c, znodes); err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second)
	r.rss100k = meanRSS(c)
	log.Printf("%s: RSS after %d znodes %.0f MB", c.kind, znodes, r.rss100k)

	if r.catchUp, err = catchUp(c, behind); err != nil {
		return nil, err
	}
	log.Printf("%s: catch-up of %d txns %v", c.kind, behind, r.catchUp)

	if r.failKill, err = failover(c, false); err != nil {
		return nil, err
	}
	log.Printf("%s: failover after kill -9 %v", c.kind, r.failKill)
	if r.failStop, err = failover(c, true); err != nil {
		return nil, err
	}
	log.Printf("%s: failover after SIGSTOP %v", c.kind, r.failStop)
	return r, nil
}

func meanRSS(c *cluster) float64 {
	var sum float64
	n := 0
	for i := range c.n {
		if c.procs[i] != nil {
			sum += c.rssMB(i)
			n++
		}
	}
	return sum / float64(n)
}

func percentile(ds []time.Duration, p float64) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}

func ms(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	}
}

func printTable(res map[string]*result, tick int) {
	zk, zb := res["zookeeper"], res["zabplay"]
	if zk == nil || zb == nil {
		return
	}
	fmt.Printf("\n3 servers each on loopback, fsync on, tickTime %d ms, go-zookeeper v1.0.4 clients spread over the servers\n\n", tick)
	fmt.Println("| measure | ZooKeeper 3.8.0 | zabplay | zabplay vs ZooKeeper | target |")
	fmt.Println("|---|---|---|---|---|")
	lower := func(name string, a, b time.Duration, target string) {
		fmt.Printf("| %s | %s | %s | %.2f× the time | %s |\n", name, ms(a), ms(b), b.Seconds()/a.Seconds(), target)
	}
	higher := func(name string, a, b float64, unit, target string) {
		fmt.Printf("| %s | %s%s | %s%s | %.2f× | %s |\n", name, comma(a), unit, comma(b), unit, b/a, target)
	}
	lower("sequential create p50", zk.seqP50, zb.seqP50, "lower")
	lower("sequential create p99", zk.seqP99, zb.seqP99, "lower")
	for _, n := range []int{1, 8, 32, 128} {
		t := ""
		if n == 32 {
			t = "≥ 2×"
		}
		a, b := zk.writes[n], zb.writes[n]
		higher(fmt.Sprintf("setData, %d clients", n), a.perSec, b.perSec, "/s", t)
		lower(fmt.Sprintf("setData, %d clients, p50", n), a.p50, b.p50, "lower")
		lower(fmt.Sprintf("setData, %d clients, p99", n), a.p99, b.p99, "lower")
	}
	higher("getData, 32 clients", zk.reads32.perSec, zb.reads32.perSec, "/s", "")
	lower("failover after kill -9 of the leader", zk.failKill, zb.failKill, "< 0.2 s")
	lower("failover after SIGSTOP of the leader", zk.failStop, zb.failStop, "")
	lower("catch-up of a follower 10,000 txns behind (from its restart)", zk.catchUp, zb.catchUp, "")
	fmt.Printf("| RSS per server, idle | %.0f MB | %.0f MB | %.2f× | ≤ 0.33× |\n", zk.rssIdle, zb.rssIdle, zb.rssIdle/zk.rssIdle)
	fmt.Printf("| RSS per server, after 100,000 znodes of 100 B | %.0f MB | %.0f MB | %.2f× | ≤ 0.33× |\n", zk.rss100k, zb.rss100k, zb.rss100k/zk.rss100k)
	lower("start to first write, 3 servers", zk.startToWrite, zb.startToWrite, "< 0.3 s")
}

func comma(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

package zkserver

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zkCli is Debian's zookeeper package's client (`task zookeeper` installs
// it; the test task depends on it).
const zkCli = "/usr/share/zookeeper/bin/zkCli.sh"

// TestZkCli drives the real zkCli.sh (ZooKeeper 3.8) through one session on
// a follower of a live ensemble: create, get, set, ls, stat, delete,
// create -e and create -s, all in one JVM (each start costs 1.5-3 s), and
// checks what it prints.
func TestZkCli(t *testing.T) {
	if _, err := os.Stat(zkCli); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing (CI is set, so this test must run): task zookeeper installs it", zkCli)
		}
		t.Skipf("%s is missing: `go tool -modfile=tools/go.mod task zookeeper` installs Debian's zookeeper (with CI set this test fails instead)", zkCli)
	}
	c := newCluster(t, 3)
	lead := c.leader()
	c.waitServing()
	var srv string
	for id := range c.nodes {
		if id != lead {
			srv = c.client[id]
			break
		}
	}
	script := strings.Join([]string{
		"create /cli hello",
		"get /cli",
		"set /cli world",
		"get -s /cli",
		"create -e /cli/eph e",
		"create -s /cli/seq- s",
		"ls /cli",
		"stat /cli",
		"delete /cli",
		"delete /cli/eph",
		"delete /cli/seq-0000000001",
		"delete /cli",
		"get /cli",
		"ls /",
		"quit",
	}, "\n") + "\n"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, zkCli, "-server", srv)
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = append(os.Environ(), "ZOO_LOG4J_PROP=ERROR,CONSOLE", "CLIENT_JVMFLAGS=-Xshare:auto -XX:TieredStopAtLevel=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	require.NoError(t, err, "zkCli.sh:\n%s", text)
	if testing.Verbose() {
		t.Logf("zkCli.sh output:\n%s", text)
	}
	for _, want := range []string{
		"Created /cli\n",
		"\nhello\n",
		"\nworld\n",
		"Created /cli/eph\n",
		"Created /cli/seq-0000000001\n",
		"[eph, seq-0000000001]",
		"Node not empty: /cli",
		"Node does not exist: /cli\n",
		"WatchedEvent state:Closed",
	} {
		assert.Contains(t, text, want)
	}
	for _, re := range []string{
		`(?m)^dataVersion = 1$`,
		`(?m)^dataLength = 5$`,
		`(?m)^numChildren = 2$`,
		`(?m)^cversion = 2$`,
		`(?m)^cZxid = 0x[0-9a-f]+$`,
		`(?m)^ephemeralOwner = 0x0$`,
	} {
		assert.Regexp(t, regexp.MustCompile(re), text)
	}
}

package sim

import (
	"embed"
	"strings"

	"github.com/zabplay/zabplay/core"
)

// bugScenarios are the scenarios that make each historical bug happen
// (testdata/bugs/*.txt: the bug's switch on, the interleaving that
// triggers it, and what it breaks). The playground offers them as "watch it
// happen" beside each bug switch.
//
//go:embed testdata/bugs/*.txt
var bugScenarios embed.FS

// BugScenario returns the scenario that shows bug b happen, if there is one:
// testdata/bugs/zk-NNNN.txt for ZOOKEEPER-NNNN, testdata/bugs/NAME.txt for
// the others (stale-ack.txt).
func BugScenario(b core.Bug) (string, bool) {
	file := b.String()
	if n, ok := strings.CutPrefix(file, "ZOOKEEPER-"); ok {
		file = "zk-" + n
	}
	src, err := bugScenarios.ReadFile("testdata/bugs/" + file + ".txt")
	if err != nil {
		return "", false
	}
	return string(src), true
}

package sim

import (
	"embed"
	"strings"

	"github.com/zabplay/zabplay/core"
)

// bugScenarios are the scenarios that make each historical bug happen
// (testdata/bugs/zk-NNNN.txt: the bug's switch on, the interleaving that
// triggers it, and what it breaks). The playground offers them as "watch it
// happen" beside each bug switch.
//
//go:embed testdata/bugs/*.txt
var bugScenarios embed.FS

// BugScenario returns the scenario that shows bug b happen, if there is one.
func BugScenario(b core.Bug) (string, bool) {
	n, ok := strings.CutPrefix(b.String(), "ZOOKEEPER-")
	if !ok {
		return "", false
	}
	src, err := bugScenarios.ReadFile("testdata/bugs/zk-" + n + ".txt")
	if err != nil {
		return "", false
	}
	return string(src), true
}

package node

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/zabplay/zabplay/core/view"
	"github.com/zabplay/zabplay/server/httpjson"
)

// statusWait bounds how long GET /status waits for the loop's view.
const statusWait = 2 * time.Second

// maxViewPaths bounds the ?path= a GET /status takes.
const maxViewPaths = 16

// ViewQuery is the query of GET /status that asks for view options o (its
// inverse is parseViewQuery).
func ViewQuery(o view.Options) string {
	q := url.Values{}
	q.Set("log", strconv.Itoa(o.LogTail))
	q.Set("tree", strconv.Itoa(o.TreeMax))
	for _, p := range o.Paths {
		q.Add("path", p)
	}
	return q.Encode()
}

// parseViewQuery reads ?log, ?tree (default view.Default's) and ?path.
func parseViewQuery(q url.Values) (view.Options, error) {
	o := view.Default
	for _, f := range []struct {
		name string
		v    *int
		max  int
	}{{"log", &o.LogTail, 1024}, {"tree", &o.TreeMax, 4096}} {
		s := q.Get(f.name)
		if s == "" {
			continue
		}
		x, err := strconv.Atoi(s)
		if err != nil || x < 0 || x > f.max {
			return o, fmt.Errorf("%s=%.20q: want a number 0..%d", f.name, s, f.max)
		}
		*f.v = x
	}
	o.Paths = q["path"]
	if len(o.Paths) > maxViewPaths {
		return o, fmt.Errorf("%d paths: want at most %d", len(o.Paths), maxViewPaths)
	}
	return o, nil
}

func (n *Node) serveStatus(w http.ResponseWriter, r *http.Request) {
	o, err := parseViewQuery(r.URL.Query())
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), statusWait)
	defer cancel()
	// A stopped node, or one whose loop did not answer in time, reports its
	// status without a view.
	st, _ := n.Inspect(ctx, o)
	httpjson.Write(w, http.StatusOK, st)
}

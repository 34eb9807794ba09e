package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// traceCats are the trace categories DevTools' Performance panel records
// for the main thread's timeline.
var traceCats = []string{"blink.user_timing", "devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "blink", "toplevel", "cc"}

// tracer records a Chrome trace of one page (ZABPLAY_BENCH_TRACE=1) and says
// where the renderer's main thread spent its time: script, style, layout,
// paint (pre-paint, paint, layers, commit, canvas) and the rest, as self time
// (an event's time minus its children's), so nothing counts twice; and a
// JavaScript CPU profile of the same window says which functions the
// script time went to.
type tracer struct {
	mu     sync.Mutex
	raw    [][]byte
	done   chan struct{}
	cancel context.CancelFunc
}

// startTrace starts recording the tab of ctx.
func startTrace(b testing.TB, ctx context.Context) *tracer {
	b.Helper()
	tr := &tracer{done: make(chan struct{})}
	lctx, cancel := context.WithCancel(ctx)
	tr.cancel = cancel
	if err := chromedp.Listen(lctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			tr.mu.Lock()
			for _, v := range e.Value {
				tr.raw = append(tr.raw, append([]byte(nil), v...))
			}
			tr.mu.Unlock()
		case *tracing.EventTracingComplete:
			close(tr.done)
		}
	}); err != nil {
		b.Fatal(err)
	}
	cats := traceCats
	if os.Getenv("ZABPLAY_BENCH_TRACE_DIR") != "" {
		// What was invalidated, and why (it slows the page further).
		cats = append(cats[:len(cats):len(cats)], "disabled-by-default-devtools.timeline.invalidationTracking", "disabled-by-default-devtools.timeline.stack")
	}
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, profiler.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, profiler.Start, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, tracing.Start, tracing.StartParams{
			TransferMode: tracing.StartTransferModeReportEvents,
			TraceConfig:  &tracing.TraceConfig{IncludedCategories: cats, ExcludedCategories: []string{"*"}},
		})
		return err
	}))
	if err != nil {
		b.Fatalf("Tracing.start: %v", err)
	}
	return tr
}

// stop ends the recording and returns the main thread's self time in ms
// per class of work (script, style, layout, paint, other), the names that
// took the most and the JavaScript functions that did.
func (tr *tracer) stop(b testing.TB, ctx context.Context) (map[string]float64, []string, []string) {
	b.Helper()
	var prof *profiler.Profile
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, tracing.End, cdp.Empty{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, tg, profiler.Stop, cdp.Empty{})
		if err != nil {
			return err
		}
		prof = res.Profile
		return nil
	}))
	if err != nil {
		b.Fatalf("Tracing.end: %v", err)
	}
	select {
	case <-tr.done:
	case <-ctx.Done():
		b.Fatalf("Tracing: %v", ctx.Err())
	}
	tr.cancel()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if dir := os.Getenv("ZABPLAY_BENCH_TRACE_DIR"); dir != "" {
		// The raw trace, for chrome://tracing or a script (which
		// objects were invalidated, each Paint's clip and layer).
		name := filepath.Join(dir, fmt.Sprintf("trace-%d.json", time.Now().UnixNano()))
		if err := os.WriteFile(name, append(append([]byte("["), bytes.Join(tr.raw, []byte(",\n"))...), ']'), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Logf("trace written to %s", name)
		if pj, err := json.Marshal(prof); err == nil {
			_ = os.WriteFile(strings.TrimSuffix(name, ".json")+".cpuprofile", pj, 0o644)
		}
	}
	classes, names := mainThreadSelf(tr.raw)
	return classes, names, profileTop(prof)
}

// profileTop lists the 12 JavaScript functions with the most self time in
// a CPU profile ("(program)" is the browser's own work: style, layout, paint).
func profileTop(p *profiler.Profile) []string {
	if p == nil {
		return nil
	}
	name := map[int64]string{}
	for _, n := range p.Nodes {
		cf := n.CallFrame
		f := cf.FunctionName
		if f == "" {
			f = "(anonymous)"
		}
		if cf.URL != "" {
			u := cf.URL
			if i := strings.LastIndex(u, "/"); i >= 0 {
				u = u[i+1:]
			}
			f += fmt.Sprintf(" %s:%d", u, cf.LineNumber+1)
		}
		name[n.ID] = f
	}
	self := map[string]float64{}
	for i, id := range p.Samples {
		if i+1 < len(p.TimeDeltas) {
			self[name[id]] += float64(p.TimeDeltas[i+1]) / 1000
		}
	}
	top := largest(self, 12)
	var out []string
	for _, e := range top {
		out = append(out, fmt.Sprintf("%s %.0f ms", e.n, e.v))
	}
	// The hottest lines of the hottest script function (samples).
	lines := map[int64]int64{}
	for _, n := range p.Nodes {
		if len(top) > 0 && name[n.ID] == top[0].n || len(top) > 1 && name[n.ID] == top[1].n && top[0].n == "(program)" {
			for _, pt := range n.PositionTicks {
				lines[pt.Line] += pt.Ticks
			}
		}
	}
	type lt struct{ l, t int64 }
	var ls []lt
	for l, t := range lines {
		ls = append(ls, lt{l, t})
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].t > ls[j].t })
	var hot []string
	for i := 0; i < len(ls) && i < 10; i++ {
		hot = append(hot, fmt.Sprintf("line %d: %d", ls[i].l, ls[i].t))
	}
	if len(hot) > 0 {
		out = append(out, "samples by line: "+strings.Join(hot, ", "))
	}
	return out
}

type traceEvent struct {
	Name string          `json:"name"`
	Ph   string          `json:"ph"`
	Pid  int             `json:"pid"`
	Tid  int             `json:"tid"`
	Ts   float64         `json:"ts"`
	Dur  float64         `json:"dur"`
	Args json.RawMessage `json:"args"`
}

// workClass sorts a trace event's name into the classes DevTools shows.
func workClass(name string) string {
	if c := workClassOf(name); c != "other" {
		return c
	}
	switch l := strings.ToLower(name); {
	case strings.Contains(l, "style"):
		return "style"
	case strings.Contains(l, "layout") || strings.Contains(l, "shapetext") || strings.Contains(l, "intersection"):
		return "layout"
	case strings.Contains(l, "paint") || strings.Contains(l, "layer") || strings.Contains(l, "composit") ||
		strings.Contains(l, "commit") || strings.Contains(l, "canvas") || strings.Contains(l, "raster"):
		return "paint"
	}
	return "other"
}

func workClassOf(name string) string {
	switch name {
	case "UpdateLayoutTree", "RecalculateStyles", "ScheduleStyleRecalculation", "ParseAuthorStyleSheet", "InvalidateLayout", "StyleInvalidatorInvalidationTracking":
		return "style"
	case "Layout", "UpdateLayout", "LocalFrameView::layout", "IntersectionObserverController::computeIntersections":
		return "layout"
	case "Paint", "PrePaint", "PaintImage", "Layerize", "UpdateLayer", "UpdateLayerTree", "CompositeLayers", "Commit",
		"ProxyMain::BeginMainFrame::commit", "PaintArtifactCompositor::Update", "LocalFrameView::RunPaintLifecyclePhase", "Decode Image":
		return "paint"
	}
	switch {
	case strings.HasPrefix(name, "v8") || strings.HasPrefix(name, "V8") || strings.Contains(name, "GC") ||
		name == "FunctionCall" || name == "EvaluateScript" || name == "FireAnimationFrame" || name == "TimerFire" ||
		name == "RunMicrotasks" || name == "CompileScript" || name == "EventDispatch" || name == "FireIdleCallback":
		return "script"
	}
	return "other"
}

// mainThreadSelf sums self time (ms) per class on the renderer's main
// threads (CrRendererMain) and lists the 12 names that took the most.
func mainThreadSelf(raw [][]byte) (map[string]float64, []string) {
	var evs []traceEvent
	main := map[[2]int]bool{}
	for _, r := range raw {
		var e traceEvent
		if json.Unmarshal(r, &e) != nil {
			continue
		}
		if e.Ph == "M" && e.Name == "thread_name" {
			var a struct{ Name string }
			if json.Unmarshal(e.Args, &a) == nil && a.Name == "CrRendererMain" {
				main[[2]int{e.Pid, e.Tid}] = true
			}
			continue
		}
		if e.Ph == "X" || e.Ph == "B" || e.Ph == "E" {
			evs = append(evs, e)
		}
	}
	byThread := map[[2]int][]traceEvent{}
	for _, e := range evs {
		k := [2]int{e.Pid, e.Tid}
		if main[k] {
			byThread[k] = append(byThread[k], e)
		}
	}
	self := map[string]float64{}
	for _, list := range byThread {
		// B/E pairs become complete events.
		var xs []traceEvent
		var open []traceEvent
		sort.SliceStable(list, func(i, j int) bool { return list[i].Ts < list[j].Ts })
		for _, e := range list {
			switch e.Ph {
			case "X":
				xs = append(xs, e)
			case "B":
				open = append(open, e)
			case "E":
				if n := len(open); n > 0 {
					o := open[n-1]
					open = open[:n-1]
					o.Ph, o.Dur = "X", e.Ts-o.Ts
					xs = append(xs, o)
				}
			}
		}
		sort.SliceStable(xs, func(i, j int) bool {
			if xs[i].Ts != xs[j].Ts {
				return xs[i].Ts < xs[j].Ts
			}
			return xs[i].Dur > xs[j].Dur
		})
		type frame struct {
			e     traceEvent
			child float64
		}
		var st []frame
		pop := func() {
			f := st[len(st)-1]
			st = st[:len(st)-1]
			self[f.e.Name] += f.e.Dur - f.child
			if len(st) > 0 {
				st[len(st)-1].child += f.e.Dur
			}
		}
		for _, e := range xs {
			for len(st) > 0 && st[len(st)-1].e.Ts+st[len(st)-1].e.Dur <= e.Ts {
				pop()
			}
			st = append(st, frame{e: e})
		}
		for len(st) > 0 {
			pop()
		}
	}
	classes := map[string]float64{}
	for n, v := range self {
		classes[workClass(n)] += v / 1000
	}
	var names []string
	for _, e := range largest(self, 12) {
		names = append(names, fmt.Sprintf("%s %.0f ms", e.n, e.v/1000))
	}
	return classes, names
}

type named struct {
	n string
	v float64
}

// largest lists the k largest values of m, largest first.
func largest(m map[string]float64, k int) []named {
	var all []named
	for n, v := range m {
		all = append(all, named{n, v})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v })
	return all[:min(k, len(all))]
}

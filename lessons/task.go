package lessons

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Task is the checklist of a widget (its data-task JSON): steps met in order,
// each by a check that static/playground.js evaluates over the event stream.
type Task struct {
	Title string `json:"title"`
	Steps []Step `json:"steps"`
}

// Step is one item of a task.
type Step struct {
	Check string `json:"check"`
	Label string `json:"label"`
}

// Checks are the check names playground.js knows (static/README.md, "Task
// checks"). A task naming another is an error here rather than a step that
// can never be met.
var Checks = []string{
	"leader elected", "leader crashed", "new leader", "write committed",
	"sync DIFF", "sync TRUNC", "sync SNAP", "sync EMPTY-DIFF",
	"server restarted", "partitioned", "healed", "stepped down", "all in sync",
}

func knownCheck(c string) bool {
	for _, k := range Checks {
		if k == c {
			return true
		}
	}
	return false
}

// ParseTask reads a task block:
//
//	title: Kill the leader, then get a write committed
//	- leader crashed: Kill the leader
//	- new leader: Wait for a new leader with a higher epoch
//
// Errors name the block's line.
func ParseTask(src string) (Task, error) {
	var t Task
	for i, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		n := i + 1
		switch {
		case line == "":
		case strings.HasPrefix(line, "title:"):
			if t.Title != "" {
				return Task{}, fmt.Errorf("line %d: a second title", n)
			}
			if len(t.Steps) > 0 {
				return Task{}, fmt.Errorf("line %d: the title comes before the steps", n)
			}
			t.Title = strings.TrimSpace(strings.TrimPrefix(line, "title:"))
			if t.Title == "" {
				return Task{}, fmt.Errorf("line %d: empty title", n)
			}
		case strings.HasPrefix(line, "- "):
			check, label, ok := strings.Cut(strings.TrimSpace(line[2:]), ":")
			check, label = strings.TrimSpace(check), strings.TrimSpace(label)
			if !ok || check == "" || label == "" {
				return Task{}, fmt.Errorf("line %d: %q: want \"- CHECK: label\"", n, line)
			}
			if !knownCheck(check) {
				return Task{}, fmt.Errorf("line %d: unknown check %q (known: %s)", n, check, strings.Join(Checks, ", "))
			}
			t.Steps = append(t.Steps, Step{Check: check, Label: label})
		default:
			return Task{}, fmt.Errorf("line %d: %q: want \"title: ...\" or \"- CHECK: label\"", n, line)
		}
	}
	if t.Title == "" {
		return Task{}, fmt.Errorf("no \"title:\" line")
	}
	if len(t.Steps) == 0 {
		return Task{}, fmt.Errorf("no steps: want lines \"- CHECK: label\"")
	}
	return t, nil
}

// JSON is the task as the widget's data-task attribute holds it.
func (t Task) JSON() string {
	b, err := json.Marshal(t)
	if err != nil {
		panic(err) // strings and slices of strings always marshal
	}
	return string(b)
}

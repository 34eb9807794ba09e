package lessons

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Predict is a prediction: a question asked before a scenario's key moment,
// its choices, which one is right and why. The page shows the question and
// the choices, with the answer behind a reveal; an interactive version (the
// learner picks, the widget plays to the answer) can be built on the same
// data attributes.
type Predict struct {
	ID       string   // the lesson's slug and the prediction's number: "broadcast-1"
	Question string   // inline HTML (Markdown rendered)
	Choices  []string // inline HTML, in order
	Answer   int      // the right choice, 1-based
	Why      string   // inline HTML: why that answer
}

// ParsePredict reads a predict block:
//
//	question: Three fresh servers vote. Which one leads?
//	- s1
//	- s2
//	- s3
//	answer: 3
//	why: Every epoch and zxid is 0, so the highest sid wins.
//
// question comes first; two to six choices; answer is the number of the
// right choice; why may go on over the following lines. Text is inline
// Markdown (`code`, **bold**, links). Errors name the block's line.
func ParsePredict(src string) (Predict, error) {
	var (
		p        Predict
		answer   string
		why      []string
		inWhy    bool
		question bool
	)
	for i, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		n := i + 1
		switch {
		case line == "":
			inWhy = false
		case strings.HasPrefix(line, "question:"):
			if question {
				return Predict{}, fmt.Errorf("line %d: a second question", n)
			}
			question = true
			p.Question = strings.TrimSpace(strings.TrimPrefix(line, "question:"))
			if p.Question == "" {
				return Predict{}, fmt.Errorf("line %d: empty question", n)
			}
		case strings.HasPrefix(line, "- "):
			if !question {
				return Predict{}, fmt.Errorf("line %d: the question comes before the choices", n)
			}
			if answer != "" || why != nil {
				return Predict{}, fmt.Errorf("line %d: the choices come before answer: and why:", n)
			}
			p.Choices = append(p.Choices, strings.TrimSpace(line[2:]))
		case strings.HasPrefix(line, "answer:"):
			if answer != "" {
				return Predict{}, fmt.Errorf("line %d: a second answer", n)
			}
			answer = strings.TrimSpace(strings.TrimPrefix(line, "answer:"))
			inWhy = false
		case strings.HasPrefix(line, "why:"):
			if why != nil {
				return Predict{}, fmt.Errorf("line %d: a second why", n)
			}
			why = []string{strings.TrimSpace(strings.TrimPrefix(line, "why:"))}
			inWhy = true
		case inWhy:
			why = append(why, line)
		default:
			return Predict{}, fmt.Errorf("line %d: %q: want question:, \"- choice\", answer: or why:", n, line)
		}
	}
	switch {
	case !question:
		return Predict{}, fmt.Errorf("no \"question:\" line")
	case len(p.Choices) < 2 || len(p.Choices) > 6:
		return Predict{}, fmt.Errorf("%d choices: want 2 to 6 lines \"- choice\"", len(p.Choices))
	case answer == "":
		return Predict{}, fmt.Errorf("no \"answer:\" line (the number of the right choice)")
	case strings.Join(why, "") == "":
		return Predict{}, fmt.Errorf("no \"why:\": say why the answer is right")
	}
	a, err := strconv.Atoi(answer)
	if err != nil || a < 1 || a > len(p.Choices) {
		return Predict{}, fmt.Errorf("answer %q: want the number of a choice, 1 to %d", answer, len(p.Choices))
	}
	p.Answer = a
	p.Why = strings.Join(why, " ")
	for i, c := range p.Choices {
		if c == "" {
			return Predict{}, fmt.Errorf("choice %d is empty", i+1)
		}
	}
	// Render the text as inline Markdown.
	if p.Question, err = inline(p.Question); err != nil {
		return Predict{}, err
	}
	for i := range p.Choices {
		if p.Choices[i], err = inline(p.Choices[i]); err != nil {
			return Predict{}, err
		}
	}
	if p.Why, err = inline(p.Why); err != nil {
		return Predict{}, err
	}
	return p, nil
}

// inline renders one paragraph of Markdown without its <p> wrapper.
func inline(s string) (string, error) {
	var buf bytes.Buffer
	if err := md.Convert([]byte(s), &buf); err != nil {
		return "", err
	}
	out := strings.TrimSpace(buf.String())
	if !strings.HasPrefix(out, "<p>") || !strings.HasSuffix(out, "</p>") || strings.Count(out, "<p>") != 1 {
		return "", fmt.Errorf("%q: want one line of inline Markdown", s)
	}
	return strings.TrimSuffix(strings.TrimPrefix(out, "<p>"), "</p>"), nil
}

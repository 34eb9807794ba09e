package lessons

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// frontMatter is the block between the two "---" lines that open a lesson:
// one "key: value" per line, keys title, order and summary, all required.
type frontMatter struct {
	fields map[string]string
	lines  map[string]int
}

// splitFrontMatter returns the front matter, the body after it and the file
// line where the body starts. Errors start with a line number and ": ".
func splitFrontMatter(src []byte) (frontMatter, []byte, int, error) {
	fm := frontMatter{fields: map[string]string{}, lines: map[string]int{}}
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	lines := strings.SplitAfter(string(src), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return fm, nil, 0, fmt.Errorf("1: a lesson starts with front matter: a line \"---\", then title:, order:, summary:, then \"---\"")
	}
	offset := len(lines[0])
	for i := 1; i < len(lines); i++ {
		raw := lines[i]
		offset += len(raw)
		line := strings.TrimSpace(raw)
		if line == "---" {
			return fm, src[offset:], i + 2, nil
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return fm, nil, 0, fmt.Errorf("%d: %q: want key: value", i+1, line)
		}
		key, value = strings.TrimSpace(key), unquote(strings.TrimSpace(value))
		switch key {
		case "title", "order", "summary":
		default:
			return fm, nil, 0, fmt.Errorf("%d: unknown front matter key %q (want title, order, summary)", i+1, key)
		}
		if _, dup := fm.fields[key]; dup {
			return fm, nil, 0, fmt.Errorf("%d: %s is set twice", i+1, key)
		}
		fm.fields[key], fm.lines[key] = value, i+1
	}
	return fm, nil, 0, fmt.Errorf("%d: the front matter has no closing \"---\" line", len(lines))
}

// unquote strips one pair of matching quotes, as YAML would.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

func (fm frontMatter) apply(l *Lesson) error {
	for _, key := range []string{"title", "order", "summary"} {
		if fm.fields[key] == "" {
			return fmt.Errorf("1: front matter: %s is missing or empty", key)
		}
	}
	order, err := strconv.Atoi(fm.fields["order"])
	if err != nil || order < 1 {
		return fmt.Errorf("%d: order %q: want a whole number from 1", fm.lines["order"], fm.fields["order"])
	}
	l.Title, l.Order, l.Summary = fm.fields["title"], order, fm.fields["summary"]
	return nil
}

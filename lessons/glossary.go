package lessons

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
)

// Glossary is one language's glossary page: glossary/{lang}.md, Markdown
// with no front matter, whose tables list the course's terms.
type Glossary struct {
	HTML string
	// Terms are the English terms, one per table row, in order: the
	// English file's first column, the Chinese file's second. Both
	// languages must list the same terms (a test compares them).
	Terms []string
}

var glossaries = sync.OnceValues(func() (map[Lang]Glossary, error) {
	out := map[Lang]Glossary{}
	for _, lang := range Langs {
		name := "glossary/" + string(lang) + ".md"
		src, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		g, err := parseGlossary(name, src, lang)
		if err != nil {
			return nil, err
		}
		out[lang] = g
	}
	return out, nil
})

// GlossaryIn returns the glossary of one language.
func GlossaryIn(lang Lang) (Glossary, error) {
	gs, err := glossaries()
	if err != nil {
		return Glossary{}, err
	}
	g, ok := gs[lang]
	if !ok {
		return Glossary{}, fmt.Errorf("lessons: no glossary for %q", lang)
	}
	return g, nil
}

func parseGlossary(name string, src []byte, lang Lang) (Glossary, error) {
	col := 0 // the column that holds the English term
	if lang != En {
		col = 1
	}
	var g Glossary
	header := true
	for i, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			header = true // the next table starts with a header
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if header {
			header = false
			continue
		}
		if strings.Trim(cells[0], " -:") == "" {
			continue // the separator row
		}
		if len(cells) < 3 {
			return Glossary{}, fmt.Errorf("%s:%d: want | term | term | meaning |", name, i+1)
		}
		term := strings.TrimSpace(cells[col])
		if term == "" {
			return Glossary{}, fmt.Errorf("%s:%d: no English term in column %d", name, i+1, col+1)
		}
		g.Terms = append(g.Terms, term)
	}
	if len(g.Terms) == 0 {
		return Glossary{}, fmt.Errorf("%s: no table rows", name)
	}
	var buf bytes.Buffer
	if err := md.Convert(src, &buf); err != nil {
		return Glossary{}, err
	}
	g.HTML = buf.String()
	return g, nil
}

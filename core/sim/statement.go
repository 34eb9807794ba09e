package sim

import (
	"fmt"
	"strings"
)

// ParseStatement reads one statement of the scenario language (README.md),
// as a scenario line would hold it: a '#' starts a comment. Any verb the
// language knows is accepted; the caller decides which it can apply (the live
// ensemble manager, server/ensemble, takes the actions only).
func ParseStatement(text string) (Stmt, error) {
	if k := strings.Index(text, "#"); k >= 0 {
		text = text[:k]
	}
	f := strings.Fields(text)
	if len(f) == 0 {
		return Stmt{}, fmt.Errorf("%w: empty", ErrPlayerAction)
	}
	st, err := parseLine(f)
	st.Text = strings.Join(f, " ")
	return st, err
}

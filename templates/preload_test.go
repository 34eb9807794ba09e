package templates

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// TestWidgetModulesPreloaded checks that the layout preloads exactly the
// pg-*.js modules static/playground.js imports (a module left out would
// only load later, one round trip after playground.js).
func TestWidgetModulesPreloaded(t *testing.T) {
	src, err := os.ReadFile("../static/playground.js")
	if err != nil {
		t.Fatal(err)
	}
	var imported []string
	for _, m := range regexp.MustCompile(`(?m)^import .* from '\./(pg-[\w-]+\.js)';$`).FindAllStringSubmatch(string(src), -1) {
		imported = append(imported, m[1])
	}
	got := slices.Clone(widgetModules)
	slices.Sort(got)
	slices.Sort(imported)
	if !slices.Equal(got, imported) {
		t.Errorf("widgetModules = %v, playground.js imports %v", got, imported)
	}
}

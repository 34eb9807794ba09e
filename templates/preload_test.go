package templates

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// TestWidgetModulesPreloaded checks that the layout preloads exactly the
// modules static/playground.js imports, and theirs (a module left out would
// only load later, one round trip after the module that imports it), but
// sim.js, which the layout loads with a script tag of its own.
func TestWidgetModulesPreloaded(t *testing.T) {
	imports := regexp.MustCompile(`(?m)^import .* from '\./([\w-]+\.js)';$`)
	var imported []string
	seen := map[string]bool{}
	var walk func(name string)
	walk = func(name string) {
		src, err := os.ReadFile("../static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range imports.FindAllStringSubmatch(string(src), -1) {
			if seen[m[1]] {
				continue
			}
			seen[m[1]] = true
			if m[1] != "sim.js" {
				imported = append(imported, m[1])
			}
			walk(m[1])
		}
	}
	walk("playground.js")
	got := slices.Clone(widgetModules)
	slices.Sort(got)
	slices.Sort(imported)
	if !slices.Equal(got, imported) {
		t.Errorf("widgetModules = %v, playground.js imports %v", got, imported)
	}
}

// Package templates holds the site's pages as templ components. Components
// take plain view structs (views.go) and never read time, context values or
// globals; server/site builds the views and renders them. Every user-facing
// string of the site lives here or in lessons/ (so a later translation has
// two places to look). After editing a .templ file run `go tool templ
// generate` from the repository root and commit the *_templ.go files;
// TestGeneratedCodeIsFresh fails when they are stale.
package templates

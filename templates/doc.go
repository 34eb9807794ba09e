// Package templates holds the site's pages as templ components. Components
// take plain view structs (views.go) and never read time, context values or
// globals; server/site builds the views and renders them. The page chrome
// (navigation, footers, the home and playground pages, the lessons index,
// previous/next, predictions, errors) is one table per language in i18n.go
// (Text: en and zh), chosen by Site.Lang; every link goes through Lang.Href so
// it stays in the page's language. The lessons' own words live in lessons/.
// After editing a .templ file run `go tool templ generate` from the
// repository root and commit the *_templ.go files; TestGeneratedCodeIsFresh
// fails when they are stale.
package templates

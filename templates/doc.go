// Package templates holds the site's templ components (the playground issue).
package templates

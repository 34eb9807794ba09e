// Package httpjson writes the JSON answers of zabplay's HTTP APIs (a node's
// admin API, the live ensembles' API, the classroom's rooms): a value, or
// {"error": "..."}, never cached; and guards them the one way (guard.go):
// CrossSite for requests that change state, ClientOf for per-client caps.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Write answers with v as JSON and the status code.
func Write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// Error answers {"error": err} with the status code.
func Error(w http.ResponseWriter, code int, err error) {
	Write(w, code, map[string]string{"error": err.Error()})
}

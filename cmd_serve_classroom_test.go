package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zabplay/zabplay/server/classroom"
)

// TestAPIRoutes: serve sends /api/rooms to the classroom hub and the rest of
// /api/ to the live ensembles.
func TestAPIRoutes(t *testing.T) {
	hub := classroom.New(classroom.Options{})
	defer hub.Close()
	ens := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(serveRoutes(apiRoutes(ens, hub.Handler()), http.NotFoundHandler()))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/rooms", "application/json", strings.NewReader(`{"page":"/playground","widget":0}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("POST /api/rooms: %d (CSP %q), want 201 with the pages' security headers", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	for path, want := range map[string]int{"/api/rooms/ZZZZ-ZZZZ": 404, "/api/ensembles": http.StatusTeapot, "/api/roomsx": http.StatusTeapot} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

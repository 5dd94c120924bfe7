// A small HTTP service for the Go example: standard library only.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

const (
	appName    = "go-app"
	appVersion = "1.0.0"
)

func healthHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"status":  "ok",
		"app":     appName,
		"version": appVersion,
	})
}

func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", healthHandler)
	return mux
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Printf("%s %s listening on :%s", appName, appVersion, port)
	log.Fatal(http.ListenAndServe(":"+port, newMux()))
}

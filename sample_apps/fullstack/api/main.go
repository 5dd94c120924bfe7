// The API half of the two-builder app: JSON endpoints plus the front end's static files.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

const (
	appName    = "fullstack-app"
	appVersion = "1.0.0"
)

func writeJSON(w http.ResponseWriter, body any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func newMux(publicDir string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"status": "ok", "app": appName, "version": appVersion})
	})
	mux.HandleFunc("/api/message", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"message": "Hello from the Go stage"})
	})
	mux.Handle("/", http.FileServer(http.Dir(publicDir)))
	return mux
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	publicDir := os.Getenv("PUBLIC_DIR")
	if publicDir == "" {
		publicDir = "/app/public"
	}
	log.Printf("%s %s listening on :%s, serving %s", appName, appVersion, port, publicDir)
	log.Fatal(http.ListenAndServe(":"+port, newMux(publicDir)))
}

// A small HTTP service for the Go example: standard library only.
package main

import (
	"encoding/json"
	"fmt"
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

// fetch GETs url and prints the status line: `main fetch https://...` shows whether the image
// can make HTTPS calls (it needs CA certificates for that).
func fetch(url string) int {
	response, err := http.Get(url)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer response.Body.Close()
	fmt.Println(response.Status)
	return 0
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "fetch" {
		os.Exit(fetch(os.Args[2]))
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Printf("%s %s listening on :%s", appName, appVersion, port)
	log.Fatal(http.ListenAndServe(":"+port, newMux()))
}

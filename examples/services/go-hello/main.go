package main

import (
	"fmt"
	"net/http"
	"os"
	"runtime"

	"example.com/greet"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "5000"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s (Go %s)\n", greet.Hello("Starphleet"), runtime.Version())
	})
	addr := os.Getenv("HOST") + ":" + port
	fmt.Println("go-hello listening on", addr)
	if err := http.ListenAndServe(addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

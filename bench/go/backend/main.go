// The Go backend of the go-reference suite: answers every request with a body of `?size=N` bytes (default 10),
// from a preallocated slice, with Content-Length. Cheap per request, so the client side does not saturate before
// the proxy under test does (the Node sample app spends ~20 µs of CPU per request).
//
// env: PORT (listen on 127.0.0.1).
package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
)

const maxSize = 16 << 20

var (
	mu     sync.RWMutex
	bodies = map[int][]byte{}
)

func body(n int) []byte {
	mu.RLock()
	b, ok := bodies[n]
	mu.RUnlock()
	if ok {
		return b
	}
	b = make([]byte, n)
	for i := range b {
		b[i] = 'x'
	}
	mu.Lock()
	bodies[n] = b
	mu.Unlock()
	return b
}

func main() {
	port := os.Getenv("PORT")
	if _, err := strconv.Atoi(port); err != nil {
		fmt.Fprintln(os.Stderr, "PORT: must be a port number")
		os.Exit(2)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 10
		if s := r.URL.Query().Get("size"); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 || v > maxSize {
				http.Error(w, "size: 0..16777216", http.StatusBadRequest)
				return
			}
			n = v
		}
		b := body(n)
		h := w.Header()
		h["Content-Type"] = []string{"text/plain"}
		h["Content-Length"] = []string{strconv.Itoa(n)}
		_, _ = w.Write(b)
	})
	fmt.Printf("{\"msg\":\"listening\",\"port\":%s}\n", port)
	if err := http.ListenAndServe("127.0.0.1:"+port, handler); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

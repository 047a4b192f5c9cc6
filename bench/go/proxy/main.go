// The reference proxy of the go-reference suite: Go's httputil.ReverseProxy behind a semaphore, the core of
// Knative's queue-proxy (pkg/queue/sharedmain: a reverse proxy to the user port, a breaker when
// containerConcurrency > 0, a transport keeping up to 1000 idle connections, a pool of 32 KiB copy buffers),
// without its metrics, probes and tracing. So it is a lower bound of Knative's own cost, not Knative itself.
//
// env: PORT (listen on 127.0.0.1), UPSTREAM_PORT (the backend on 127.0.0.1), CONTAINER_CONCURRENCY (semaphore
// size; 0 or unset = 1000, so the semaphore is always on the path).
package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

type bufferPool struct{ pool sync.Pool }

func (b *bufferPool) Get() []byte  { return *(b.pool.Get().(*[]byte)) }
func (b *bufferPool) Put(s []byte) { b.pool.Put(&s) }

func newBufferPool() *bufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any { s := make([]byte, 32*1024); return &s }}}
}

func intEnv(name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		fmt.Fprintf(os.Stderr, "%s: must be a non-negative integer, got %q\n", name, s)
		os.Exit(2)
	}
	return v
}

func main() {
	port := intEnv("PORT", -1)
	upstream := intEnv("UPSTREAM_PORT", -1)
	if port <= 0 || upstream <= 0 {
		fmt.Fprintln(os.Stderr, "PORT and UPSTREAM_PORT must be set")
		os.Exit(2)
	}
	capacity := intEnv("CONTAINER_CONCURRENCY", 0)
	idle := 1000
	if capacity > 0 {
		idle = capacity
	} else {
		capacity = 1000
	}
	target := &url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(upstream)}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          idle,
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ExpectContinueTimeout: time.Second,
	}
	proxy.BufferPool = newBufferPool()
	sem := make(chan struct{}, capacity)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		defer func() { <-sem }()
		proxy.ServeHTTP(w, r)
	})
	fmt.Printf("{\"msg\":\"listening\",\"port\":%d,\"semaphore\":%d}\n", port, capacity)
	if err := http.ListenAndServe("127.0.0.1:"+strconv.Itoa(port), handler); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

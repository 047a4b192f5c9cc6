// Reference for kdp's legacy-metrics.ts: Knative 1.12's own request-metric handlers and OpenCensus Prometheus
// exporter (knative.dev/serving/pkg/queue, knative.dev/pkg/metrics), driven by a fixed request sequence, then
// scraped. Latencies are made ~0 ms so the text is deterministic (sums are printed but kdp's test ignores them).
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"time"

	"go.uber.org/zap"
	netstats "knative.dev/networking/pkg/http/stats"
	"knative.dev/pkg/metrics"
	"knative.dev/serving/pkg/queue"
)

func main() {
	port, _ := strconv.Atoi(os.Args[1])
	logger := zap.NewNop().Sugar()
	ctx := context.Background()
	if err := metrics.UpdateExporter(ctx, metrics.ExporterOptions{
		Component:      "revision",
		PrometheusPort: port,
		ConfigMap: map[string]string{
			metrics.BackendDestinationKey:      "prometheus",
			"metrics.opencensus-address":       "",
			"metrics.reporting-period-seconds": "5",
		},
	}, logger); err != nil {
		panic(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := 200
		if s := r.URL.Query().Get("status"); s != "" {
			status, _ = strconv.Atoi(s)
		}
		w.WriteHeader(status)
	})
	breaker := queue.NewBreaker(queue.BreakerParams{QueueDepth: 50, MaxConcurrency: 5, InitialCapacity: 5})
	ns, svc, cfg, rev, pod := "default", "hello", "hello", "hello-00001", "hello-00001-deployment-abc"
	inner, err := queue.NewAppRequestMetricsHandler(app, breaker, ns, svc, cfg, rev, pod)
	if err != nil {
		panic(err)
	}
	var h http.Handler = queue.ProxyHandler(breaker, netstats.NewRequestStats(time.Now()), false, inner)
	h, err = queue.NewRequestMetricsHandler(h, ns, svc, cfg, rev, pod)
	if err != nil {
		panic(err)
	}
	for _, c := range []struct {
		target  string
		headers map[string]string
	}{
		{"/", nil},
		{"/?status=404", nil},
		{"/", map[string]string{"Knative-Serving-Tag": "blue"}},
		{"/", map[string]string{"Knative-Serving-Default-Route": "true"}},
		{"/", map[string]string{"Knative-Serving-Tag": "green", "Knative-Serving-Default-Route": "true"}},
		{"/", map[string]string{"K-Network-Probe": "activator"}},
		{"/?status=503", nil},
		{"/", nil},
	} {
		req := httptest.NewRequest("GET", c.target, nil)
		for k, v := range c.headers {
			req.Header.Set(k, v)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"
	for i := 0; ; i++ {
		resp, err := http.Get(url)
		if err != nil {
			if i > 100 {
				panic(err)
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		fmt.Fprintf(os.Stderr, "Content-Type: %s\n", resp.Header.Get("Content-Type"))
		os.Stdout.Write(body)
		return
	}
}

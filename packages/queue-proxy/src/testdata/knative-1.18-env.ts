/**
 * Test data: what a Knative 1.12-1.18 controller adds to the queue-proxy's environment with config-observability and
 * config-tracing at their defaults (S@knative-v1.18.2:pkg/reconciler/revision/resources/queue.go#makeQueueContainer).
 * Shared by config-legacy.test.ts and test/queue-proxy-knative-releases.test.ts.
 */
export const KNATIVE_1_18_OBSERVABILITY_ENV: Readonly<Record<string, string>> = Object.freeze({
  SERVING_REQUEST_LOG_TEMPLATE: '{"httpRequest": {"requestMethod": "{{.Request.Method}}"}}',
  SERVING_ENABLE_REQUEST_LOG: 'false',
  SERVING_REQUEST_METRICS_BACKEND: 'prometheus',
  SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS: '5',
  TRACING_CONFIG_BACKEND: 'none',
  TRACING_CONFIG_ZIPKIN_ENDPOINT: '',
  TRACING_CONFIG_DEBUG: 'false',
  TRACING_CONFIG_SAMPLE_RATE: '0.1',
  SYSTEM_NAMESPACE: 'knative-serving',
  METRICS_DOMAIN: 'knative.dev/internal/serving',
  ENABLE_PROFILING: 'false',
  SERVING_ENABLE_PROBE_REQUEST_LOG: 'false',
  METRICS_COLLECTOR_ADDRESS: '',
  ENABLE_HTTP2_AUTO_DETECTION: 'false',
  ENABLE_HTTP_FULL_DUPLEX: 'false',
  ENABLE_MULTI_CONTAINER_PROBES: 'false',
});

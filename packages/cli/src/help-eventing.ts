// Usage text of the Eventing commands (merged into help.ts).

const GLOBAL = `Global options:
  --server URL        control API of \`kdp serve\` (default $KDP_SERVER, else http://127.0.0.1:8081)
  -n, --namespace NS  namespace (default "default")
  -h, --help          this help
`;

const SINK = `Sinks: ksvc:NAME[:NAMESPACE] (or a bare NAME), broker:NAME, or an http:// URL; the target must exist.`;

export const EVENTING_SUMMARY = `Eventing (kn's commands and flags):
  broker create NAME         create a broker (--dl-sink, --retry, --backoff-policy, --backoff-delay, --timeout)
  broker list / describe / delete
  broker dead-letters NAME   events that used up their retries (--trigger T, --redeliver)
  trigger create NAME        deliver a broker's events to a sink (--broker, --sink, --filter k=v)
  trigger update NAME        change its filters (--filter k=v, --filter k-) or sink
  trigger list / describe / delete
  source ping create NAME    a CloudEvent on a cron schedule (--schedule, --data, --sink)
  source ping update / list / describe / delete
`;

const DELIVERY = `Delivery options:
  --dl-sink SINK               dead-letter sink for events that fail for good
  --retry N                    retries after the first attempt (Knative default 10)
  --backoff-policy POLICY      linear or exponential (default exponential)
  --backoff-delay DURATION     ISO-8601 base delay, e.g. PT0.2S (default)
  --retry-after-max DURATION   honour a subscriber's Retry-After up to this long
  --timeout DURATION           per attempt, ISO-8601 (e.g. PT30S)
`;

export const EVENTING_TOPICS: Readonly<Record<string, string>> = {
  broker: `Usage: kdp broker create|list|describe|delete|dead-letters …\n\n${EVENTING_SUMMARY}\n${GLOBAL}`,
  trigger: `Usage: kdp trigger create|update|list|describe|delete …\n\n${EVENTING_SUMMARY}\n${GLOBAL}`,
  source: `Usage: kdp source ping create|update|list|describe|delete …\n\n${EVENTING_SUMMARY}\n${GLOBAL}`,
  'source ping': `Usage: kdp source ping create|update|list|describe|delete …\n\n${EVENTING_SUMMARY}\n${GLOBAL}`,
  'broker create': `Usage: kdp broker create NAME [options]

Creates a broker. Producers POST CloudEvents to its URL:
  http://broker-ingress.knative-eventing.localhost:8080/<namespace>/<name>

  --class CLASS                broker class annotation (kdp has one implementation)
${DELIVERY}
${SINK}

${GLOBAL}`,
  'broker list': `Usage: kdp broker list [-o json|yaml]\n\n${GLOBAL}`,
  'broker describe': `Usage: kdp broker describe NAME [-o json|yaml]\n\n${GLOBAL}`,
  'broker delete': `Usage: kdp broker delete NAME\n\n${GLOBAL}`,
  'broker dead-letters': `Usage: kdp broker dead-letters BROKER [--trigger T] [--redeliver] [-o json|yaml]

Lists the events of BROKER that used up their retries without a dead-letter sink (kdp keeps them), or with
--redeliver puts them back into delivery with fresh retries.

${GLOBAL}`,
  'trigger create': `Usage: kdp trigger create NAME --sink SINK [--broker BROKER] [--filter KEY=VALUE …]

  --broker BROKER              the broker (default "default")
  -s, --sink SINK              where matching events go
  --filter KEY=VALUE           deliver events whose attribute KEY equals VALUE (repeatable; an empty VALUE means present)
  -a, --annotation KEY=VALUE   annotation; eventing.kdp.dev/max-in-flight=N caps deliveries in flight

${SINK}

${GLOBAL}`,
  'trigger update': `Usage: kdp trigger update NAME [--filter KEY=VALUE | --filter KEY-] [--sink SINK]\n\n${SINK}\n\n${GLOBAL}`,
  'trigger list': `Usage: kdp trigger list [--broker BROKER] [-o json|yaml]\n\n${GLOBAL}`,
  'trigger describe': `Usage: kdp trigger describe NAME [-o json|yaml]\n\n${GLOBAL}`,
  'trigger delete': `Usage: kdp trigger delete NAME\n\n${GLOBAL}`,
  'source ping create': `Usage: kdp source ping create NAME --sink SINK [options]

  --schedule CRON              cron schedule (default "* * * * *"); a 6th leading field gives seconds (kdp addition)
  --timezone TZ                IANA time zone of the schedule, e.g. Europe/Paris
  -d, --data DATA              event data
  -e, --encoding text|base64   how --data is given (default text)
  --ce-override KEY=VALUE      CloudEvent extension on every event (repeatable)
  -s, --sink SINK              where the events go

${SINK}

${GLOBAL}`,
  'source ping update': `Usage: kdp source ping update NAME [--schedule CRON] [--data DATA] [--sink SINK] …\n\n${GLOBAL}`,
  'source ping list': `Usage: kdp source ping list [-o json|yaml]\n\n${GLOBAL}`,
  'source ping describe': `Usage: kdp source ping describe NAME [-o json|yaml]\n\n${GLOBAL}`,
  'source ping delete': `Usage: kdp source ping delete NAME\n\n${GLOBAL}`,
};

// Usage text of `kdp` and of each command.

import { EVENTING_SUMMARY, EVENTING_TOPICS } from './help-eventing.js';

const GLOBAL = `Global options:
  --server URL        control API of \`kdp serve\` (default $KDP_SERVER, else http://127.0.0.1:8081)
  -n, --namespace NS  namespace (default "default")
  -h, --help          this help
`;

export const HELP = `kdp — a local Knative Serving: services as processes, scale to zero, traffic splits.

Usage: kdp COMMAND [options]

Start the platform (router on :8080, control API on :8081):
  serve                      run everything in this terminal (what \`npm start\` does)

Services (kn's commands and flags):
  service create NAME        create a service from a command line (--cmd "…")
  service update NAME        change it: new revision (--env, --cmd, …) and/or traffic (--traffic, --tag, --untag)
  service list               services with their URL and readiness
  service describe NAME      revisions, traffic and conditions of one service
  service delete NAME…       delete services (and their revisions and pods)
  revision list [SERVICE]    revisions with traffic, tags, generation, pods and readiness
  revision describe NAME     one revision
  revision delete NAME…      delete revisions that receive no traffic
  route list                 routes and their URLs
  route describe NAME        what a route serves, tag URLs included
  apply -f FILE              create or replace Knative Services, Brokers, Triggers, PingSources from YAML
  version                    print the version

${EVENTING_SUMMARY}
Aliases: services/svc/ksvc, revisions/rev, routes; ls = list, rm = delete.
Read commands take -o json|yaml. Run 'kdp COMMAND --help' for a command's options.

${GLOBAL}`;

const TEMPLATE = `Revision template options (each change makes a new revision):
  --cmd "PROGRAM ARGS…"          the process to run, split like a shell does (quotes, no expansion);
                                 relative paths are taken from the current directory (recorded as workingDir)
  --arg ARG                      extra argument (repeatable)
  --workdir DIR                  working directory of the process
  -p, --port [h2c:]PORT          port the process listens on; it gets $PORT anyway (default 8080)
  -e, --env KEY=VALUE            environment variable (repeatable); KEY- removes it
  --revision-name NAME           revision name; "world" on service "hello" gives "hello-world"
                                 ({{.Service}}, {{.Generation}}, {{.Random 5}} are expanded)
  --concurrency-limit N          hard limit of requests per pod (containerConcurrency; 0 = none)
  --concurrency-target N         autoscaling target of in-flight requests per pod
  --concurrency-utilization PCT  percentage of the target to aim for
  --scale-min N / --scale-max N  bounds of the pod count (min 0 allows scale to zero)
  --scale-init N                 pods started with a new revision (default 1; 0 needs kdp serve
                                 --allow-zero-initial-scale)
  --scale-window DURATION        autoscaling window, e.g. 60s
  --timeout SECONDS              request timeout (default 300)
  -a, --annotation KEY=VALUE     annotation on the service and revision (repeatable); KEY- removes it
  -s, --sink SINK                set K_SINK to the sink's URL (broker:NAME, ksvc:NAME, a URL; - removes it), as
                                 Knative's SinkBinding does
  --ce-override KEY=VALUE        set K_CE_OVERRIDES: CloudEvent extensions the app should add (repeatable)
`;

const WAIT = `Waiting:
  --no-wait                      return once the server accepted the change
  --wait-timeout SECONDS         give up waiting after this long (default 600)
`;

const OUTPUT = `Output:
  -o, --output json|yaml         print the object(s) instead of text
`;

const TOPICS: Readonly<Record<string, string>> = {
  serve: `Usage: kdp serve [options]

Runs the local platform in this process until Ctrl-C: the router (services at
http://<service>.<namespace>.localhost:<router port>), the activator, the autoscaler, the pods, and the control API
the kdp CLI talks to. State is kept in <data dir>/state.json and restored on the next start.

Options (environment variable in brackets):
  --router-port PORT   router port (KDP_ROUTER_PORT, default 8080)
  --router-host HOST   router address (KDP_ROUTER_HOST, default 127.0.0.1)
  --api-port PORT      control API port (KDP_API_PORT, default 8081)
  --api-host HOST      control API address (KDP_API_HOST, default 127.0.0.1)
  --api-allowed-hosts H,…  Host names the API answers to besides localhost, 127.0.0.1, [::1]
                       (KDP_API_ALLOWED_HOSTS; protects against DNS rebinding)
  --data-dir DIR       where state.json and api-token (the CLI's credential) live (KDP_DATA_DIR, default ~/.kdp)
  --domain DOMAIN      domain of service hosts (KDP_DOMAIN, default localhost)
  --tag-header-routing enabled|disabled
                       route Knative-Serving-Tag on the default host (KDP_TAG_HEADER_ROUTING, default enabled)
  --allow-zero-initial-scale
                       let revisions start at zero pods (--scale-init 0; KDP_ALLOW_ZERO_INITIAL_SCALE,
                       default off, as Knative's allow-zero-initial-scale)
  --log-level LEVEL    fatal|error|warn|info|debug|trace|silent (KDP_LOG_LEVEL, default info)
  --eventing-sync full|normal
                       durability of accepted events in <data dir>/eventing.db (KDP_EVENTING_SYNC, default full:
                       survives a power loss; normal: survives a crash of kdp serve)
  --eventing-backend nats://HOST:PORT
                       keep brokers on NATS JetStream, shared by every kdp serve using it (KDP_EVENTING_BACKEND)
  --log-format F       pretty (one readable line per event; pods' output prefixed with the pod) or json
                       (KDP_LOG_FORMAT; default pretty on a terminal, json otherwise)
`,
  service: `Usage: kdp service create|update|list|describe|delete …

Run 'kdp service create --help' (and so on) for the options of each.
`,
  'service create': `Usage: kdp service create NAME --cmd "PROGRAM ARGS…" [options]

Creates a service and waits until its first revision is ready, printing its URL.

Example:
  kdp service create hello --cmd "node packages/sample-app/bin/kdp-sample-app.js" \\
    --env TARGET=World --revision-name world

${TEMPLATE}
${WAIT}
${GLOBAL}`,
  'service update': `Usage: kdp service update NAME [options]

Changes a service. Template options make a new revision, which gets traffic once it is ready; traffic options
move traffic between existing revisions.

Examples:
  kdp service update hello --env TARGET=Knative --revision-name knative
  kdp service update hello --traffic hello-world=50 --traffic @latest=50
  kdp service update hello --tag hello-world=old

Traffic options:
  --traffic REF=PERCENT    share of a revision, a tag or @latest (repeatable, must sum to 100);
                           targets not named get 0 %
  --tag REVISION=TAG       reach REVISION (or @latest) at http://TAG-<service>.<namespace>.localhost (repeatable)
  --untag TAG              remove a tag (repeatable)

${TEMPLATE}
${WAIT}
${GLOBAL}`,
  'service list': `Usage: kdp service list [options]

${OUTPUT}
${GLOBAL}`,
  'service describe': `Usage: kdp service describe NAME [options]

${OUTPUT}
${GLOBAL}`,
  'service delete': `Usage: kdp service delete NAME… [options]

Deletes services with their revisions and routes, and waits until their pods have stopped.
  --no-wait    do not wait for the pods to stop

${GLOBAL}`,
  revision: `Usage: kdp revision list|describe|delete …
`,
  'revision list': `Usage: kdp revision list [SERVICE] [options]

Columns: traffic share, tags, generation, age, PODS (running or starting now: watch it go to 0 when idle),
conditions and readiness. -o wide adds live numbers: RPS and P50/P99 latency over the last minute, IN-FLIGHT
(+ queued in the activator) now, and the last COLD START (revision describe shows its phases).
  -s, --service NAME   only this service's revisions
  -o wide              the columns above plus the live numbers

${OUTPUT}
${GLOBAL}`,
  'revision describe': `Usage: kdp revision describe NAME [options]

${OUTPUT}
${GLOBAL}`,
  'revision delete': `Usage: kdp revision delete NAME… [options]

Deletes revisions that no traffic target names and that are not their service's latest.
  --no-wait    do not wait for the pods to stop

${GLOBAL}`,
  route: `Usage: kdp route list|describe …
`,
  'route list': `Usage: kdp route list [NAME] [options]

${OUTPUT}
${GLOBAL}`,
  'route describe': `Usage: kdp route describe NAME [options]

${OUTPUT}
${GLOBAL}`,
  apply: `Usage: kdp apply -f FILE [options]

Creates or replaces serving.knative.dev/v1 Services from YAML or JSON (several documents allowed; - reads stdin),
then waits for each to be ready. The process is the container's command and args:

  apiVersion: serving.knative.dev/v1
  kind: Service
  metadata:
    name: hello
  spec:
    template:
      metadata:
        name: hello-world
      spec:
        containers:
          - command: [node, packages/sample-app/bin/kdp-sample-app.js]
            env:
              - name: TARGET
                value: World

Relative paths are resolved from the container's workingDir; a container without one (or with a relative one)
runs in (or relative to) the directory you run \`kdp apply\` in, as with --cmd.

${WAIT}
${GLOBAL}`,
};

export function helpFor(topic: string): string | undefined {
  return topic === 'help' ? HELP : (TOPICS[topic] ?? EVENTING_TOPICS[topic]);
}

// `kdp`: finds the command (kn's nouns and verbs, with kn's aliases), hands it its arguments, and turns every
// failure into one `kdp: …` line on stderr and a non-zero exit code (1 failure, 2 usage). `kdp serve` is loaded
// lazily so client commands never load fastify or the data path.

import { CliError, parse, UsageError } from './args.js';
import { serveConfig } from './config.js';
import { HELP, helpFor } from './help.js';
import type { Io } from './io.js';

type Handler = (args: readonly string[], io: Io) => Promise<number>;

const NOUNS: Readonly<Record<string, string>> = {
  service: 'service',
  services: 'service',
  svc: 'service',
  ksvc: 'service',
  revision: 'revision',
  revisions: 'revision',
  rev: 'revision',
  route: 'route',
  routes: 'route',
  broker: 'broker',
  brokers: 'broker',
  trigger: 'trigger',
  triggers: 'trigger',
  source: 'source',
  sources: 'source',
};

const VERBS: Readonly<Record<string, string>> = { ls: 'list', rm: 'delete' };

const COMMANDS: Readonly<Record<string, () => Promise<Handler>>> = {
  'service create': async () => (await import('./commands/service.js')).serviceCreate,
  'service update': async () => (await import('./commands/service.js')).serviceUpdate,
  'service list': async () => (await import('./commands/service.js')).serviceList,
  'service describe': async () => (await import('./commands/service.js')).serviceDescribe,
  'service delete': async () => (await import('./commands/service.js')).serviceDelete,
  'revision list': async () => (await import('./commands/revision.js')).revisionList,
  'revision describe': async () => (await import('./commands/revision.js')).revisionDescribe,
  'revision delete': async () => (await import('./commands/revision.js')).revisionDelete,
  'route list': async () => (await import('./commands/route.js')).routeList,
  'route describe': async () => (await import('./commands/route.js')).routeDescribe,
  apply: async () => (await import('./commands/apply.js')).apply,
  'broker create': async () => (await import('./commands/broker.js')).brokerCreate,
  'broker list': async () => (await import('./commands/broker.js')).brokerList,
  'broker describe': async () => (await import('./commands/broker.js')).brokerDescribe,
  'broker delete': async () => (await import('./commands/broker.js')).brokerDelete,
  'broker dead-letters': async () => (await import('./commands/broker.js')).brokerDeadLetters,
  'trigger create': async () => (await import('./commands/trigger.js')).triggerCreate,
  'trigger update': async () => (await import('./commands/trigger.js')).triggerUpdate,
  'trigger list': async () => (await import('./commands/trigger.js')).triggerList,
  'trigger describe': async () => (await import('./commands/trigger.js')).triggerDescribe,
  'trigger delete': async () => (await import('./commands/trigger.js')).triggerDelete,
  'source ping create': async () => (await import('./commands/source.js')).pingCreate,
  'source ping update': async () => (await import('./commands/source.js')).pingUpdate,
  'source ping list': async () => (await import('./commands/source.js')).pingList,
  'source ping describe': async () => (await import('./commands/source.js')).pingDescribe,
  'source ping delete': async () => (await import('./commands/source.js')).pingDelete,
};

const SERVE_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  'router-port': { type: 'string' },
  'router-host': { type: 'string' },
  'api-port': { type: 'string' },
  'api-host': { type: 'string' },
  'api-allowed-hosts': { type: 'string' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  domain: { type: 'string' },
  'tag-header-routing': { type: 'string' },
  'eventing-sync': { type: 'string' },
  'eventing-backend': { type: 'string' },
  'allow-zero-initial-scale': { type: 'boolean' },
} as const;

/** Runs one `kdp` invocation; resolves with the exit code (never, for a `serve` that keeps running). */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`kdp: ${err.message}\nRun 'kdp ${err.command} --help' for usage.\n`);
      return err.exitCode;
    }
    if (err instanceof CliError) {
      io.err(`kdp: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`kdp: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  // Global options may come before the command (`kdp --server URL service list`); move them after it.
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length && (argv[i] ?? '').startsWith('-')) {
    const a = argv[i] ?? '';
    leading.push(a);
    i += 1;
    if ((a === '--server' || a === '-n' || a === '--namespace') && i < argv.length) leading.push(argv[i++] ?? '');
  }
  const rest = argv.slice(i);
  const first = rest[0];
  if (first === undefined || first === 'help') {
    // `kdp help --help` / `kdp help -h`: the help of help is the overview.
    if (rest[1] !== undefined && rest[1] !== '--help' && rest[1] !== '-h') return help(rest.slice(1).join(' '), io);
    if (first === 'help' && rest[1] !== undefined) {
      io.out(HELP);
      return 0;
    }
    if (first === undefined && leading.some((a) => a === '--version')) return version(io);
    io.out(HELP);
    return first === undefined && !leading.some((a) => a === '-h' || a === '--help') ? 2 : 0;
  }
  if (first === 'version' || first === '--version') return version(io);

  if (first === 'serve') {
    const { values, positionals } = parse([...leading, ...rest.slice(1)], SERVE_OPTIONS, 'serve');
    if (values.help === true) return help('serve', io);
    if (positionals.length > 0) throw new UsageError(`'kdp serve' takes no arguments, got ${JSON.stringify(positionals.join(' '))}`, 'serve');
    const cfg = serveConfig(values, io.env, io.cwd, io.stdoutIsTTY === true);
    const { serveUntilSignal } = await import('./commands/serve.js');
    return serveUntilSignal(cfg, io);
  }

  let name: string;
  let args: string[];
  if (first === 'apply') {
    name = 'apply';
    args = rest.slice(1);
  } else {
    const noun = NOUNS[first];
    if (noun === undefined) throw new UsageError(`unknown command ${JSON.stringify(first)}`, 'help');
    // `source ping create`: kn's sources have a kind between the noun and the verb.
    const sub = noun === 'source' ? 1 : 0;
    const verbWord = rest[1 + sub];
    if (verbWord === undefined || verbWord === '-h' || verbWord === '--help') return help(sub === 1 ? `source ${rest[1] ?? ''}`.trim() : noun, io);
    const verb = VERBS[verbWord] ?? verbWord;
    const topic = sub === 1 ? `source ${rest[1] ?? ''}` : noun;
    name = `${topic} ${verb}`;
    if (COMMANDS[name] === undefined) throw new UsageError(`unknown command ${JSON.stringify(`${topic} ${verbWord}`)}`, topic);
    args = rest.slice(2 + sub);
  }
  const load = COMMANDS[name];
  if (load === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`, 'help');
  const all = [...leading, ...args];
  if (all.includes('-h') || all.includes('--help')) return help(name, io);

  const handler = await load();
  return handler(all, io);
}

function help(topic: string, io: Io): number {
  const text = helpFor(topic);
  if (text === undefined) throw new UsageError(`no help for ${JSON.stringify(topic)}`, 'help');
  io.out(text);
  return 0;
}

function version(io: Io): number {
  io.out('kdp 0.1.0 (serving.knative.dev/v1)\n');
  return 0;
}

export { CliError };

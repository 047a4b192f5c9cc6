import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isCustomSuite, runCustomSuite } from './custom.js';
import type { PinMode } from './placement.js';
import { rerender, writeCustomResults, writeResults } from './report.js';
import { runSuite } from './runner.js';
import { loadSuites } from './suite-registry.js';
import type { LoadGeneratorName } from './types.js';

const USAGE = `usage: node bench/dist/run.js [suite] [options]

  suite               one of the suites in bench/src/suites (default: direct); --list shows them
  --duration S        measured seconds per run (default 10)
  --warmup S          warm-up seconds before each run (default 3)
  --reps N            interleaved repetitions, medians reported (default 3)
  --quick             smoke run: --duration 2 --warmup 1 --reps 1, unless given
  --scenario REGEXP   only scenarios whose name matches (e.g. 'c100-size10' or '^c1-')
  --samples N         cold-start / burst: how many cold starts or bursts (defaults: cold-start 20, burst 3;
                      with --quick 5 and 1)
  --pin / --no-pin    force pinning (fail if impossible) / disable it (default: pin when possible)
  --results DIR       where results go (default bench/results)
  --loadgen NAME      autocannon | wrk (default: the suite's; go-reference uses wrk)
  --keep-going        a failed measurement is noted and left out instead of ending the run; results are also
                      written after each repetition (partial), so a stopped run leaves its data
  --rerender FILE     rewrite <suite>.md and <suite>.svg beside a result FILE (.json) from its data, and exit
  --list              list suites and exit

  env KDP_BENCH_COMPARE=DIR   go-reference: also measure the queue-proxy of another (built) checkout DIR
  env KDP_BENCH_COMPARE_FLAGS="--flag ..."   ... run with these node flags instead of its own
  env KDP_BENCH_FLAGS_VARIANT="--flag ..."   go-reference: also this checkout's queue-proxy with these flags
`;

function num(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

/** Quotes an argument for a POSIX shell when it needs it, so the recorded command can be pasted back. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      reps: { type: 'string' },
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      samples: { type: 'string' },
      pin: { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      results: { type: 'string' },
      loadgen: { type: 'string' },
      rerender: { type: 'string' },
      'keep-going': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.rerender !== undefined) {
    const { mdPath, svgPath } = rerender(values.rerender);
    process.stderr.write(`wrote ${mdPath}\nwrote ${svgPath}\n`);
    return;
  }
  const { suites, broken } = await loadSuites();
  if (values.list) {
    for (const s of suites.values()) process.stdout.write(`${s.name}\t${s.description}\n`);
    for (const [stem, why] of broken) process.stdout.write(`${stem}\t(cannot load: ${why})\n`);
    return;
  }
  if (positionals.length > 1) throw new Error(`one suite at a time, got ${positionals.join(', ')}`);
  const name = positionals[0] ?? 'direct';
  const suite = suites.get(name);
  if (suite === undefined) {
    const why = broken.get(name);
    if (why !== undefined) throw new Error(`suite ${name} cannot be loaded (is everything built? npm run build): ${why}`);
    throw new Error(`no suite named ${name}; known: ${[...suites.keys(), ...broken.keys()].join(', ')}`);
  }
  if (values.pin && values['no-pin']) throw new Error('--pin and --no-pin together');
  const pin: PinMode = values.pin ? 'on' : values['no-pin'] ? 'off' : 'auto';

  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const resultsDir = values.results ?? fileURLToPath(new URL('../results/', import.meta.url));
  const command = [
    ...['KDP_BENCH_COMPARE', 'KDP_BENCH_COMPARE_FLAGS', 'KDP_BENCH_FLAGS_VARIANT'].flatMap((k) => {
      const v = process.env[k];
      return v === undefined || (v === '' && k === 'KDP_BENCH_COMPARE') ? [] : [`${k}=${shellQuote(v)}`];
    }),
    ...['node', 'bench/dist/run.js', ...process.argv.slice(2)].map(shellQuote),
  ].join(' ');
  let loadGenerator: LoadGeneratorName | undefined;
  if (values.loadgen !== undefined) {
    if (values.loadgen !== 'autocannon' && values.loadgen !== 'wrk') throw new Error(`--loadgen must be autocannon or wrk, got ${JSON.stringify(values.loadgen)}`);
    loadGenerator = values.loadgen;
  }
  if (isCustomSuite(suite)) {
    for (const o of ['duration', 'warmup', 'reps', 'scenario', 'loadgen'] as const) {
      if (values[o] !== undefined) throw new Error(`--${o} does not apply to suite ${suite.name}; see --samples`);
    }
    const samples = values.samples === undefined ? undefined : num('samples', values.samples, 0);
    const result = await runCustomSuite(suite, {
      pin,
      repoRoot,
      resultsDir,
      command,
      options: { quick: values.quick, ...(samples === undefined ? {} : { samples }) },
    });
    const { jsonPath, mdPath } = writeCustomResults(result, resultsDir);
    process.stderr.write(`wrote ${jsonPath}\nwrote ${mdPath}\n`);
    for (const g of result.goals) {
      process.stderr.write(`target: ${g.goal}: ${g.measured.replace(/\*\*/g, '')} → ${g.met === undefined ? 'not measured' : g.met ? 'met' : 'NOT met'}\n`);
    }
    for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
    return;
  }
  if (values.samples !== undefined) throw new Error(`--samples applies to cold-start and burst, not to ${suite.name}`);
  const filter = values.scenario === undefined ? undefined : new RegExp(values.scenario);
  const result = await runSuite(suite, {
    durationS: num('duration', values.duration, values.quick ? 2 : 10),
    warmupS: num('warmup', values.warmup, values.quick ? 1 : 3),
    reps: num('reps', values.reps, values.quick ? 1 : 3),
    pin,
    repoRoot,
    resultsDir,
    command,
    ...(filter === undefined ? {} : { scenarioFilter: (s) => filter.test(s.name) }),
    ...(loadGenerator === undefined ? {} : { loadGenerator }),
    ...(values['keep-going']
      ? {
          keepGoing: true,
          onRepetition: (partial) => {
            const { jsonPath } = writeResults(partial, resultsDir);
            process.stderr.write(`wrote partial ${jsonPath} (${String(partial.settings.reps)} repetitions)\n`);
          },
        }
      : {}),
  });
  const { jsonPath, mdPath, svgPath } = writeResults(result, resultsDir);
  process.stderr.write(`wrote ${jsonPath}\nwrote ${mdPath}\nwrote ${svgPath}\n`);
  for (const g of result.goals) {
    process.stderr.write(`target: ${g.goal}: ${g.measured.replace(/\*\*/g, '')} → ${g.met === undefined ? 'not measured' : g.met ? 'met' : 'NOT met'}\n`);
  }
  for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describePlacement } from './placement.js';
import { medianCurves, renderLatencySvg } from './plot.js';
import { fileStamp, fmtInt, fmtUs } from './runner.js';
import type { CustomSuiteResult, ReportSection } from './custom.js';
import type { Goal, SuiteResult, Summary } from './types.js';

/**
 * Writes `<suite>-<timestamp>.json` (everything, histograms included; kept as history) and rewrites `<suite>.md`
 * (the latest run as tables) and `<suite>.svg` (its latency percentile plot, shown in the Markdown).
 */
export function writeResults(result: SuiteResult, resultsDir: string): { jsonPath: string; mdPath: string; svgPath: string } {
  mkdirSync(resultsDir, { recursive: true });
  const jsonName = `${result.suite}-${fileStamp(new Date(result.startedAt))}.json`;
  const jsonPath = join(resultsDir, jsonName);
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  return { jsonPath, ...writeReport(result, resultsDir, jsonName) };
}

/** `<suite>.md` and `<suite>.svg` from a result; `rerender` uses it on a result file written earlier. */
function writeReport(result: SuiteResult, resultsDir: string, jsonName: string): { mdPath: string; svgPath: string } {
  const svgName = `${result.suite}.svg`;
  const svgPath = join(resultsDir, svgName);
  writeFileSync(svgPath, latencySvg(result));
  const mdPath = join(resultsDir, `${result.suite}.md`);
  writeFileSync(mdPath, renderMarkdown(result, jsonName, svgName));
  return { mdPath, svgPath };
}

/** Rewrites `<suite>.md` and `<suite>.svg` beside a `<suite>-<timestamp>.json` from its data (new report layout, old run). */
export function rerender(jsonPath: string): { mdPath: string; svgPath: string } {
  const read = JSON.parse(readFileSync(jsonPath, 'utf8')) as Omit<SuiteResult, 'goals'> & { goals?: SuiteResult['goals'] };
  // Results written before suites had goals have none.
  const result: SuiteResult = { ...read, goals: read.goals ?? [] };
  if (!Array.isArray(result.measurements)) throw new Error(`${jsonPath} is not the result of a load suite (no measurements)`);
  return writeReport(result, dirname(jsonPath), basename(jsonPath));
}

export function latencySvg(r: SuiteResult): string {
  return renderLatencySvg(medianCurves(r), {
    title: `${r.suite}: latency percentiles, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ` +
      `${String(r.settings.reps)} × ${String(r.settings.durationS)} s, ${r.settings.loadGenerator ?? 'autocannon'}`,
  });
}

/** The issue's targets next to what was measured: met / not met / not measured. */
export function renderGoals(goals: readonly Goal[]): string[] {
  if (goals.length === 0) return [];
  return [
    '## Targets',
    '',
    '| target | measured | |',
    '|---|---|---|',
    ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${g.met === undefined ? 'not measured' : g.met ? '**met**' : '**not met**'} |`),
    '',
  ];
}

const mb = (kb: number): string => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : '–');
const signedUs = (us: number): string => (!Number.isFinite(us) ? '–' : us === 0 ? '0' : `${us > 0 ? '+' : '−'}${fmtUs(Math.abs(us))}`);

function row(s: Summary, baseline: string, second?: Summary): string {
  const isBase = s.target === baseline;
  return [
    s.scenario,
    s.target,
    fmtInt(s.reqPerS),
    isBase ? '1' : s.ratioVsBaseline.toFixed(2),
    ...(second === undefined ? [] : [s.target === second.target ? '1' : (s.reqPerS / second.reqPerS).toFixed(2)]),
    fmtUs(s.latencyUs.p50),
    fmtUs(s.latencyUs.p99),
    isBase ? '–' : signedUs(s.addedP50Us),
    s.cpuUsPerReq.toFixed(1),
    `${String(s.cpuPct)} %`,
    mb(s.rssPeakKb),
    `${String(s.loadSideCpuPct)} %`,
    `${String(s.non2xx)} / ${String(s.errors)}`,
  ].join(' | ');
}

/** Title, description, run window, command, machine and placement: the head of every report. */
function reportHead(
  r: Pick<SuiteResult, 'suite' | 'description' | 'startedAt' | 'finishedAt' | 'command' | 'machine'>,
  jsonName: string,
  placement: Parameters<typeof describePlacement>[0],
): string[] {
  const m = r.machine;
  return [
    `# Benchmark: ${r.suite}`,
    '',
    r.description,
    '',
    `- Run: ${r.startedAt} → ${r.finishedAt}; raw data: [${jsonName}](${jsonName})`,
    `- Command: \`${r.command}\``,
    `- Machine: ${m.cpuModel}, ${String(m.cpus)} CPUs, ${String(m.memTotalMb)} MB, Node ${m.node}, ${m.os} ${m.kernel}; ` +
      `load average at start ${m.loadAvgAtStart.join(' ')}`,
    `- Placement: ${describePlacement(placement)}`,
  ];
}

export function renderMarkdown(r: SuiteResult, jsonName: string, svgName?: string): string {
  const baseline = r.targets[0] ?? 'direct';
  const loadGen = r.settings.loadGenerator ?? 'autocannon';
  const withRss = r.summaries.some((s) => s.rssWarmKb !== undefined);
  const cmp = r.compareTo;
  const lines: string[] = [
    ...reportHead(r, jsonName, r.settings.placement),
    `- Each cell: median of ${String(r.settings.reps)} interleaved runs of ${String(r.settings.durationS)} s after ` +
      `${String(r.settings.warmupS)} s of warm-up, fresh processes for every run; each metric's median taken on its own.`,
    '',
    ...renderGoals(r.goals),
    `| scenario | target | req/s | × ${baseline} |${cmp === undefined ? '' : ` × ${cmp} |`} p50 | p99 | added p50 | CPU µs/req | CPU | peak RSS | load side CPU | non-2xx / errors |`,
    `|---|---|---:|---:|${cmp === undefined ? '' : '---:|'}---:|---:|---:|---:|---:|---:|---:|---:|`,
    ...r.summaries.map((s) => {
      const second = cmp === undefined ? undefined : r.summaries.find((o) => o.scenario === s.scenario && o.target === cmp);
      return `| ${row(s, baseline, cmp === undefined ? undefined : (second ?? { ...s, target: cmp, reqPerS: NaN }))} |`;
    }),
    '',
    ...(svgName === undefined ? [] : [`![latency by percentile, per scenario and target](${svgName})`, '']),
    (loadGen === 'wrk'
      ? 'Columns: latency is per response, closed loop, µs resolution (wrk, one thread: from writing the request to ' +
        'the end of its response; its exact per-µs histogram); '
      : 'Columns: latency is per response, closed loop, µs resolution (autocannon\'s hrtime per request, recorded into an ' +
        'hdr histogram); ') +
      '*CPU µs/req* and *CPU* (share of one core) are user+system time of the measured process ' +
      `(the proxy; for \`${baseline}\`, the app) from /proc; *peak RSS* is its highest VmRSS sampled every ` +
      `${String(r.settings.rssSampleMs)} ms under load; *load side CPU* is the runner (autocannon) plus the app, share ` +
      'of one core: near 100 %, req/s is bounded by the client side, not by the proxy. *load gen CPU* is the runner ' +
      `alone (${loadGen === 'wrk' ? 'the sampler, and the wrk process' : "autocannon's thread, the sampler"}); *others' CPU* is what the rest of the machine used meanwhile ` +
      '(highest over the repetitions): above ~10 %, the machine was not quiet.',
    '',
  ];
  if (withRss) {
    lines.push(
      '| scenario | target | RSS after warm-up | RSS steady | RSS peak | RSS end |',
      '|---|---|---:|---:|---:|---:|',
      ...r.summaries.map(
        (s) => `| ${s.scenario} | ${s.target} | ${mb(s.rssWarmKb ?? NaN)} | ${mb(s.rssSteadyKb ?? NaN)} | ${mb(s.rssPeakKb)} | ${mb(s.rssEndKb)} |`,
      ),
      '',
      'RSS (VmRSS of the measured process, medians over the runs): *after warm-up* when the measured run starts; ' +
        '*steady* the median of the samples of its second half; *peak* its highest sample; *end* at its end.',
      '',
    );
  }
  const withApp = r.summaries.filter((s) => s.appCpuUsPerReq !== undefined);
  const withRelated = r.summaries.some((s) => s.relatedCpuUsPerReq !== undefined);
  if (withRelated) {
    lines.push(
      '| scenario | target | p90 | p99.9 | max | app CPU µs/req | other processes\' CPU µs/req | load gen CPU | others\' CPU (max) | end RSS |',
      '|---|---|---:|---:|---:|---:|---|---:|---:|---:|',
      ...r.summaries.map(
        (s) =>
          `| ${s.scenario} | ${s.target} | ${fmtUs(s.latencyUs.p90)} | ${fmtUs(s.latencyUs.p999)} | ${fmtUs(s.latencyUs.max)} | ` +
          `${s.appCpuUsPerReq === undefined ? '–' : s.appCpuUsPerReq.toFixed(1)} | ` +
          `${Object.entries(s.relatedCpuUsPerReq ?? {}).map(([n, us]) => `${n} ${us.toFixed(1)}`).join(', ') || '–'} | ` +
          `${String(s.loadCpuPct)} % | ${String(s.otherCpuPctMax)} % | ${mb(s.rssEndKb)} |`,
      ),
      '',
    );
  } else if (withApp.length > 0) {
    lines.push(
      '| scenario | target | p90 | p99.9 | max | app CPU µs/req | load gen CPU | others\' CPU (max) | end RSS |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|',
      ...r.summaries.map(
        (s) =>
          `| ${s.scenario} | ${s.target} | ${fmtUs(s.latencyUs.p90)} | ${fmtUs(s.latencyUs.p999)} | ${fmtUs(s.latencyUs.max)} | ` +
          `${s.appCpuUsPerReq === undefined ? '–' : s.appCpuUsPerReq.toFixed(1)} | ${String(s.loadCpuPct)} % | ` +
          `${String(s.otherCpuPctMax)} % | ${mb(s.rssEndKb)} |`,
      ),
      '',
    );
  } else {
    lines.push(
      '| scenario | target | p90 | p99.9 | max | load gen CPU | others\' CPU (max) | end RSS |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
      ...r.summaries.map(
        (s) =>
          `| ${s.scenario} | ${s.target} | ${fmtUs(s.latencyUs.p90)} | ${fmtUs(s.latencyUs.p999)} | ${fmtUs(s.latencyUs.max)} | ` +
          `${String(s.loadCpuPct)} % | ${String(s.otherCpuPctMax)} % | ${mb(s.rssEndKb)} |`,
      ),
      '',
    );
  }
  lines.push(
    '## Scenarios',
    '',
    '| scenario | connections | request | env | proxy CPU |',
    '|---|---:|---|---|---|',
    ...r.scenarios.map(
      (sc) =>
        `| ${sc.name} | ${String(sc.connections)} | \`${sc.method ?? 'GET'} ${sc.path}\` | ` +
        `${Object.entries(sc.env ?? {}).map(([k, v]) => `\`${k}=${v}\``).join(' ') || '–'} | ` +
        `${sc.cpus === 'shared' ? 'shared with app and load generator' : 'own CPU'} |`,
    ),
    '',
    '## Startup',
    '',
    'From spawning the measured process to its first 2xx through its URL (a tight loop of requests on fresh ' +
      'connections); one sample per run.',
    '',
    '| target | median | min | max | samples |',
    '|---|---:|---:|---:|---:|',
    ...r.startup.map((s) => `| ${s.target} | ${s.medianMs.toFixed(1)} ms | ${s.minMs.toFixed(1)} ms | ${s.maxMs.toFixed(1)} ms | ${String(s.samples)} |`),
    '',
  );
  if (r.notes.length > 0) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** Same files as `writeResults`, for a custom suite (cold starts, bursts). */
export function writeCustomResults(result: CustomSuiteResult, resultsDir: string): { jsonPath: string; mdPath: string } {
  mkdirSync(resultsDir, { recursive: true });
  const jsonName = `${result.suite}-${fileStamp(new Date(result.startedAt))}.json`;
  const jsonPath = join(resultsDir, jsonName);
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  const mdPath = join(resultsDir, `${result.suite}.md`);
  writeFileSync(mdPath, renderCustomMarkdown(result, jsonName));
  return { jsonPath, mdPath };
}

function renderSection(s: ReportSection): string[] {
  const right = new Set(s.right ?? []);
  return [
    `## ${s.title}`,
    '',
    ...(s.text === undefined ? [] : [s.text, '']),
    `| ${s.columns.join(' | ')} |`,
    `|${s.columns.map((_, i) => (right.has(i) ? '---:' : '---')).join('|')}|`,
    ...s.rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
}

export function renderCustomMarkdown(r: CustomSuiteResult, jsonName: string): string {
  const lines: string[] = [
    ...reportHead(r, jsonName, r.placement),
    `- Settings: ${Object.entries(r.settings).map(([k, v]) => `${k} ${String(v)}`).join('; ')}`,
    '',
    ...renderGoals(r.goals),
    ...r.sections.flatMap(renderSection),
  ];
  if (r.notes.length > 0) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

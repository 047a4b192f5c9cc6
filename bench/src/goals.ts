import { fmtInt, fmtUs } from './runner.js';
import type { Goal, Summary } from './types.js';

function find(summaries: readonly Summary[], scenario: string, target: string): Summary | undefined {
  return summaries.find((s) => s.scenario === scenario && s.target === target);
}

const signed = (us: number): string => `${us >= 0 ? '+' : '−'}${fmtUs(Math.abs(us))}`;

/** `target`'s median p50 minus `reference`'s in one scenario, against a bound in µs. */
export function addedP50Goal(
  summaries: readonly Summary[],
  o: { readonly goal: string; readonly scenario: string; readonly target: string; readonly reference: string; readonly maxUs: number },
): Goal {
  const t = find(summaries, o.scenario, o.target);
  const r = find(summaries, o.scenario, o.reference);
  if (t === undefined || r === undefined) return { goal: o.goal, measured: `${o.scenario}: not run`, met: undefined };
  const added = t.latencyUs.p50 - r.latencyUs.p50;
  return {
    goal: o.goal,
    measured: `${o.scenario}: ${o.target} p50 ${fmtUs(t.latencyUs.p50)} − ${o.reference} p50 ${fmtUs(r.latencyUs.p50)} = **${signed(added)}**`,
    met: added <= o.maxUs,
  };
}

/** `target`'s median req/s over `reference`'s in one scenario, against a lower bound. */
export function throughputRatioGoal(
  summaries: readonly Summary[],
  o: { readonly goal: string; readonly scenario: string; readonly target: string; readonly reference: string; readonly minRatio: number },
): Goal {
  const t = find(summaries, o.scenario, o.target);
  const r = find(summaries, o.scenario, o.reference);
  if (t === undefined || r === undefined) return { goal: o.goal, measured: `${o.scenario}: not run`, met: undefined };
  const ratio = t.reqPerS / r.reqPerS;
  return {
    goal: o.goal,
    measured:
      `${o.scenario}: ${o.target} ${fmtInt(t.reqPerS)} req/s ÷ ${o.reference} ${fmtInt(r.reqPerS)} req/s = **${ratio.toFixed(2)}×**` +
      (t.errors + t.non2xx > 0 ? ` (${String(t.non2xx)} non-2xx, ${String(t.errors)} errors)` : ''),
    met: ratio >= o.minRatio && t.errors === 0 && t.non2xx === 0,
  };
}

import { describe, expect, it } from 'vitest';
import { firstAvailable, lbPolicyFor, randomChoice2, roundRobin } from './lb-policy.js';
import type { Rng } from './clock.js';

/** Replays `values`; fails the test if the policy draws more than it should. */
function rngOf(values: readonly number[]): { rng: Rng; used: () => number } {
  let i = 0;
  const rng = (): number => {
    const v = values[i++];
    if (v === undefined) throw new Error(`RNG drawn ${String(i)} times, only ${String(values.length)} values given`);
    return v;
  };
  return { rng, used: () => i };
}

const targets = (inFlight: readonly number[]) => inFlight.map((n, index) => ({ index, inFlight: n }));

describe('randomChoice2 (Knative randomChoice2Policy, cc = 0)', () => {
  it.each([
    { name: 'no pods', weights: [], rng: [], want: null, draws: 0 },
    { name: 'one pod: no draw', weights: [7], rng: [], want: 0, draws: 0 },
    { name: 'two pods: both contestants, lighter wins', weights: [1, 0], rng: [], want: 1, draws: 0 },
    { name: 'two pods: first lighter', weights: [0, 1], rng: [], want: 0, draws: 0 },
    { name: 'two pods tie: coin 0 picks the alternative', weights: [2, 2], rng: [0.2], want: 1, draws: 1 },
    { name: 'two pods tie: coin 1 keeps the first', weights: [2, 2], rng: [0.7], want: 0, draws: 1 },
    { name: 'three pods: r1=1, r2=0 (below r1, kept)', weights: [0, 5, 5], rng: [0.5, 0.0], want: 0, draws: 2 },
    { name: 'three pods: r1=0, r2=0 shifted to 1', weights: [3, 1, 0], rng: [0.0, 0.0], want: 1, draws: 2 },
    { name: 'three pods: r1=2, r2=1', weights: [0, 2, 1], rng: [0.9, 0.9], want: 2, draws: 2 },
    { name: 'three pods: tie between r1=2 and r2=1, coin keeps r1', weights: [0, 4, 4], rng: [0.9, 0.9, 0.9], want: 2, draws: 3 },
  ])('$name', ({ weights, rng, want, draws }) => {
    const r = rngOf(rng);
    const pick = randomChoice2(r.rng)(targets(weights));
    expect(pick === null ? null : pick.index).toBe(want);
    expect(r.used()).toBe(draws);
  });

  it('never picks the same pod twice as its two contestants', () => {
    // With r2 drawn from l - 1 values and shifted, every (r1, r2) pair is distinct: pod 0 loaded, all others idle.
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 3; b++) {
        const pick = randomChoice2(rngOf([a / 4 + 0.01, b / 3 + 0.01, 0.9]).rng)(targets([9, 0, 0, 0]));
        expect(pick?.index === 0 && a === 0).toBe(false);
      }
    }
  });
});

describe('firstAvailable (Knative firstAvailableLBPolicy, cc 1..3)', () => {
  it.each([
    { cc: 1, weights: [], want: null },
    { cc: 1, weights: [0, 0, 0], want: 0 },
    { cc: 1, weights: [1, 0, 0], want: 1 },
    { cc: 1, weights: [1, 1, 1], want: null },
    { cc: 3, weights: [3, 2, 0], want: 1 },
    { cc: 2, weights: [2, 2, 2], want: null },
  ])('cc=$cc in-flight $weights → $want', ({ cc, weights, want }) => {
    expect(firstAvailable(cc)(targets(weights))?.index ?? null).toBe(want);
  });
});

describe('roundRobin (Knative newRoundRobinPolicy, cc > 3)', () => {
  it.each([
    {
      name: 'rotates and skips full pods',
      cc: 4,
      steps: [
        { weights: [0, 0, 0], want: 0 },
        { weights: [1, 0, 0], want: 1 },
        { weights: [1, 1, 0], want: 2 },
        { weights: [1, 1, 1], want: 0 },
        { weights: [4, 1, 1], want: 1 },
        { weights: [4, 4, 4], want: null },
        { weights: [4, 4, 3], want: 2 },
      ],
    },
    {
      name: 'restarts at 0 when the pod list shrank under the cursor',
      cc: 4,
      steps: [
        { weights: [0, 0, 0], want: 0 },
        { weights: [0, 0, 0], want: 1 },
        { weights: [0, 0, 0], want: 2 },
        { weights: [0, 0], want: 0 },
      ],
    },
  ])('$name', ({ cc, steps }) => {
    const policy = roundRobin(cc);
    for (const s of steps) expect(policy(targets(s.weights))?.index ?? null).toBe(s.want);
  });
});

describe('lbPolicyFor', () => {
  it.each([
    { cc: 0, want: [1, 1], rng: [0.1, 0.1] }, // two idle pods: a coin each time, 0 picks the second
    { cc: 1, want: [0, 0], rng: [] },
    { cc: 3, want: [0, 0], rng: [] },
    { cc: 4, want: [0, 1], rng: [] },
    { cc: 100, want: [0, 1], rng: [] },
  ])('cc=$cc picks like Knative', ({ cc, want, rng }) => {
    const policy = lbPolicyFor(cc, rngOf(rng).rng);
    const ts = targets([0, 0]);
    expect([policy(ts)?.index, policy(ts)?.index]).toEqual(want);
  });
});

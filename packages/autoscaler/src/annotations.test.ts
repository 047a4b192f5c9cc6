import { describe, expect, it } from 'vitest';
import { validateAnnotations } from './annotations.js';
import { DEFAULT_AUTOSCALER_CONFIG, type AutoscalerConfig } from './config.js';

const K = 'autoscaling.knative.dev/';
const cfg = DEFAULT_AUTOSCALER_CONFIG;

// serving: pkg/apis/autoscaling/annotation_validation_test.go TestValidateAnnotations (wording and ordering).
describe('validateAnnotations (Knative TestValidateAnnotations)', () => {
  it.each<{ name: string; annotations: Record<string, string>; want: string; config?: Partial<AutoscalerConfig> }>([
    { name: 'empty annotations', annotations: {}, want: '' },
    { name: 'invalid class', annotations: { [`${K}class`]: 'unsupported.knative.dev' }, want: `invalid value: unsupported.knative.dev: ${K}class` },
    { name: 'non-knative.dev domain class', annotations: { [`${K}class`]: 'some.other.domain' }, want: '' },
    { name: 'minScale is 0', annotations: { [`${K}min-scale`]: '0' }, want: '' },
    { name: 'maxScale is 0', annotations: { [`${K}max-scale`]: '0' }, want: '' },
    { name: 'minScale is -1', annotations: { [`${K}min-scale`]: '-1' }, want: `expected 0 <= -1 <= 2147483647: ${K}min-scale` },
    { name: 'maxScale is huuuuuuuge', annotations: { [`${K}max-scale`]: '2147483648' }, want: `expected 0 <= 2147483648 <= 2147483647: ${K}max-scale` },
    { name: 'maxScale is -1', annotations: { [`${K}max-scale`]: '-1' }, want: `expected 0 <= -1 <= 2147483647: ${K}max-scale` },
    { name: 'minScale is foo', annotations: { [`${K}min-scale`]: 'foo' }, want: `invalid value: foo: ${K}min-scale` },
    { name: 'max/minScale is bar', annotations: { [`${K}max-scale`]: 'bar', [`${K}min-scale`]: 'bar' }, want: `invalid value: bar: ${K}max-scale, ${K}min-scale` },
    { name: 'minScale is 2, maxScale is 5', annotations: { [`${K}min-scale`]: '2', [`${K}max-scale`]: '5' }, want: '' },
    { name: 'minScale is 5, maxScale is 2', annotations: { [`${K}min-scale`]: '5', [`${K}max-scale`]: '2' }, want: `max-scale=2 is less than min-scale=5: ${K}max-scale, ${K}min-scale` },
    { name: 'maxScale is greater than MaxScaleLimit', annotations: { [`${K}max-scale`]: '11' }, config: { maxScaleLimit: 10, maxScale: 5 }, want: `expected 1 <= 11 <= 10: ${K}max-scale` },
    { name: 'maxScale is explicitly 0 with a MaxScaleLimit', annotations: { [`${K}max-scale`]: '0' }, config: { maxScaleLimit: 10, maxScale: 5 }, want: `max-scale=0 (unlimited), must be less than 10: ${K}max-scale` },
    { name: 'maxScale is less than MaxScaleLimit', annotations: { [`${K}max-scale`]: '9' }, config: { maxScaleLimit: 10, maxScale: 5 }, want: '' },
    { name: 'min-scale, activation-scale, max-scale all set appropriately', annotations: { [`${K}min-scale`]: '1', [`${K}activation-scale`]: '2', [`${K}max-scale`]: '3' }, want: '' },
    { name: 'min-scale is greater than activation-scale', annotations: { [`${K}min-scale`]: '3', [`${K}activation-scale`]: '2' }, want: `min-scale=3 is greater than activation-scale=2: ${K}activation-scale` },
    { name: 'max-scale is less than activation-scale', annotations: { [`${K}max-scale`]: '1', [`${K}activation-scale`]: '2' }, want: `max-scale=1 is less than activation-scale=2: ${K}activation-scale` },
    { name: 'activation-scale of 1', annotations: { [`${K}activation-scale`]: '1' }, want: `activation-scale=1 must be greater than 1: ${K}activation-scale` },
    { name: 'valid algorithm on KPA', annotations: { [`${K}class`]: 'kpa.autoscaling.knative.dev', [`${K}metric-aggregation-algorithm`]: 'weighted-exponential' }, want: '' },
    { name: 'random algorithm on KPA', annotations: { [`${K}class`]: 'kpa.autoscaling.knative.dev', [`${K}metric-aggregation-algorithm`]: 'random-selection' }, want: `invalid value: random-selection: ${K}metric-aggregation-algorithm` },
    { name: 'random algorithm without class annotation (not checked)', annotations: { [`${K}metric-aggregation-algorithm`]: 'random-selection' }, want: '' },
    { name: 'panic window percentage bad', annotations: { [`${K}panic-window-percentage`]: '-1' }, want: `expected 1 <= -1 <= 100: ${K}panic-window-percentage` },
    { name: 'panic window percentage bad2', annotations: { [`${K}panic-window-percentage`]: '202' }, want: `expected 1 <= 202 <= 100: ${K}panic-window-percentage` },
    { name: 'panic window percentage bad3', annotations: { [`${K}panic-window-percentage`]: 'fifty' }, want: `invalid value: fifty: ${K}panic-window-percentage` },
    { name: 'panic threshold percentage good', annotations: { [`${K}panic-threshold-percentage`]: '210' }, want: '' },
    { name: 'panic threshold percentage bad2', annotations: { [`${K}panic-threshold-percentage`]: '109' }, want: `expected 110 <= 109 <= 1000: ${K}panic-threshold-percentage` },
    { name: 'panic threshold percentage bad2.5', annotations: { [`${K}panic-threshold-percentage`]: '10009' }, want: `expected 110 <= 10009 <= 1000: ${K}panic-threshold-percentage` },
    { name: 'panic threshold percentage bad3', annotations: { [`${K}panic-threshold-percentage`]: 'fifty' }, want: `invalid value: fifty: ${K}panic-threshold-percentage` },
    { name: 'target negative', annotations: { [`${K}target`]: '-11' }, want: `target -11 should be at least 0.01: ${K}target` },
    { name: 'target 0', annotations: { [`${K}target`]: '0' }, want: `target 0 should be at least 0.01: ${K}target` },
    { name: 'invalid target', annotations: { [`${K}target`]: '100}' }, want: `invalid value: 100}: ${K}target` },
    { name: 'target okay', annotations: { [`${K}target`]: '11' }, want: '' },
    { name: 'TBC negative', annotations: { [`${K}target-burst-capacity`]: '-11' }, want: `invalid value: -11: ${K}target-burst-capacity` },
    { name: 'TBC 0', annotations: { [`${K}target-burst-capacity`]: '0' }, want: '' },
    { name: 'TBC 19870709', annotations: { [`${K}target-burst-capacity`]: '19870709' }, want: '' },
    { name: 'TBC -1', annotations: { [`${K}target-burst-capacity`]: '-1' }, want: '' },
    { name: 'TBC invalid', annotations: { [`${K}target-burst-capacity`]: 'qarashen' }, want: `invalid value: qarashen: ${K}target-burst-capacity` },
    { name: 'TU too small', annotations: { [`${K}target-utilization-percentage`]: '0' }, want: `expected 1 <= 0 <= 100: ${K}target-utilization-percentage` },
    { name: 'TU too big', annotations: { [`${K}target-utilization-percentage`]: '101' }, want: `expected 1 <= 101 <= 100: ${K}target-utilization-percentage` },
    { name: 'TU invalid', annotations: { [`${K}target-utilization-percentage`]: 'dghyak' }, want: `invalid value: dghyak: ${K}target-utilization-percentage` },
    { name: 'window invalid', annotations: { [`${K}window`]: 'jerry-was-a-racecar-driver' }, want: `invalid value: jerry-was-a-racecar-driver: ${K}window` },
    { name: 'window too short', annotations: { [`${K}window`]: '1s' }, want: `expected 6s <= 1s <= 1h0m0s: ${K}window` },
    { name: 'window too long', annotations: { [`${K}window`]: '365h' }, want: `expected 6s <= 365h <= 1h0m0s: ${K}window` },
    { name: 'window too precise', annotations: { [`${K}window`]: '1m9s82ms' }, want: `must be specified with at most second precision: ${K}window` },
    { name: 'window 7s with class KPA', annotations: { [`${K}window`]: '7s', [`${K}class`]: 'kpa.autoscaling.knative.dev' }, want: '' },
    { name: 'valid 0 last pod scaledown timeout', annotations: { [`${K}scale-to-zero-pod-retention-period`]: '0' }, want: '' },
    { name: 'valid positive last pod scaledown timeout', annotations: { [`${K}scale-to-zero-pod-retention-period`]: '21m31s' }, want: '' },
    { name: 'invalid positive last pod scaledown timeout', annotations: { [`${K}scale-to-zero-pod-retention-period`]: '311m' }, want: `expected 0s <= 311m <= 1h0m0s: ${K}scale-to-zero-pod-retention-period` },
    { name: 'invalid negative last pod scaledown timeout', annotations: { [`${K}scale-to-zero-pod-retention-period`]: '-42s' }, want: `expected 0s <= -42s <= 1h0m0s: ${K}scale-to-zero-pod-retention-period` },
    { name: 'invalid last pod scaledown timeout', annotations: { [`${K}scale-to-zero-pod-retention-period`]: 'twenty-two-minutes-and-five-seconds' }, want: `invalid value: twenty-two-minutes-and-five-seconds: ${K}scale-to-zero-pod-retention-period` },
    { name: 'valid 0 scale down delay', annotations: { [`${K}scale-down-delay`]: '0' }, want: '' },
    { name: 'valid positive scale down delay', annotations: { [`${K}scale-down-delay`]: '21m31s' }, want: '' },
    { name: 'invalid positive scale down delay', annotations: { [`${K}scale-down-delay`]: '311m' }, want: `expected 0s <= 311m <= 1h0m0s: ${K}scale-down-delay` },
    { name: 'invalid positive scale down delay - too precise', annotations: { [`${K}scale-down-delay`]: '42.5s' }, want: `must be specified with at most second precision: ${K}scale-down-delay` },
    { name: 'invalid negative scale down delay', annotations: { [`${K}scale-down-delay`]: '-42s' }, want: `expected 0s <= -42s <= 1h0m0s: ${K}scale-down-delay` },
    {
      name: 'all together now fail',
      annotations: {
        [`${K}panic-threshold-percentage`]: 'fifty',
        [`${K}panic-window-percentage`]: '-11',
        [`${K}min-scale`]: '-4',
        [`${K}max-scale`]: 'never',
      },
      want:
        `expected 0 <= -4 <= 2147483647: ${K}min-scale\n` +
        `expected 1 <= -11 <= 100: ${K}panic-window-percentage\n` +
        `invalid value: fifty: ${K}panic-threshold-percentage\n` +
        `invalid value: never: ${K}max-scale`,
    },
    {
      name: 'all together now, succeed',
      annotations: {
        [`${K}panic-threshold-percentage`]: '125',
        [`${K}panic-window-percentage`]: '75',
        [`${K}min-scale`]: '5',
        [`${K}max-scale`]: '8',
        [`${K}window`]: '1984s',
      },
      want: '',
    },
    { name: 'invalid metric for default class (KPA)', annotations: { [`${K}metric`]: 'cpu' }, want: `invalid value: cpu: ${K}metric` },
    { name: 'invalid metric for HPA class', annotations: { [`${K}metric`]: '', [`${K}class`]: 'hpa.autoscaling.knative.dev' }, want: `invalid value: : ${K}metric` },
    { name: 'valid class KPA with metric RPS', annotations: { [`${K}metric`]: 'rps' }, want: '' },
    { name: 'valid class KPA with metric Concurrency', annotations: { [`${K}metric`]: 'concurrency' }, want: '' },
    { name: 'other than HPA and KPA class', annotations: { [`${K}class`]: 'other', [`${K}metric`]: 'rps' }, want: '' },
    { name: 'initial scale is zero but cluster does not allow', annotations: { [`${K}initial-scale`]: '0' }, want: `invalid value: 0: ${K}initial-scale=0 not allowed by cluster` },
    { name: 'initial scale is zero and cluster allows', annotations: { [`${K}initial-scale`]: '0' }, config: { allowZeroInitialScale: true }, want: '' },
    { name: 'initial scale is greater than 0', annotations: { [`${K}initial-scale`]: '2' }, want: '' },
    { name: 'initial scale is less than 0', annotations: { [`${K}initial-scale`]: '-1' }, want: `invalid value: -1: ${K}initial-scale must be greater than 0` },
    { name: 'initial scale non-parseable', annotations: { [`${K}initial-scale`]: 'invalid' }, want: `invalid value: invalid: ${K}initial-scale` },
    { name: 'legacy spelling minScale is read', annotations: { [`${K}minScale`]: '-1' }, want: `expected 0 <= -1 <= 2147483647: ${K}minScale` },
    { name: 'kdp grace period 2s', annotations: { 'kdp.dev/scale-to-zero-grace-period': '2s' }, want: '' },
    { name: 'kdp grace period 0s', annotations: { 'kdp.dev/scale-to-zero-grace-period': '0s' }, want: 'expected 0s (exclusive) <= 0s <= 1h0m0s: kdp.dev/scale-to-zero-grace-period' },
    { name: 'kdp grace period invalid', annotations: { 'kdp.dev/scale-to-zero-grace-period': 'soon' }, want: 'invalid value: soon: kdp.dev/scale-to-zero-grace-period' },
  ])('$name', ({ annotations, want, config }) => {
    const c = config === undefined ? cfg : { ...cfg, ...config };
    expect(validateAnnotations(annotations, c).join('\n')).toBe(want);
  });
});

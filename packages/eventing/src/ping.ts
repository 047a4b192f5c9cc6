// PingSource (sources.knative.dev/v1): a CloudEvent on a cron schedule, in a time zone
// (knative/eventing pkg/adapter/mtping). The schedule is parsed by croner (maintained, no dependencies, IANA time
// zones through Intl): five fields as Knative's robfig/cron `ParseStandard`, plus the @hourly-style nicknames; six
// fields (seconds first) are accepted too, a kdp addition for short demos and tests.

import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { CloudEvent } from './cloudevent.js';

/** Event type and source of knative/eventing pkg/apis/sources/v1/ping_types.go. */
export const PING_EVENT_TYPE = 'dev.knative.sources.ping';
export const pingSource = (ns: string, name: string): string => `/apis/v1/namespaces/${ns}/pingsources/${name}`;

export interface PingConfig {
  readonly namespace: string;
  readonly name: string;
  readonly schedule: string;
  readonly timezone: string | undefined;
  readonly contentType: string | undefined;
  readonly data: Buffer | undefined;
  /** `ceOverrides.extensions`. */
  readonly extensions: Readonly<Record<string, string>>;
}

/** Why a schedule or time zone does not parse; empty when both do. */
export function scheduleProblems(schedule: string, timezone: string | undefined): string[] {
  const out: string[] = [];
  try {
    new Cron(schedule, { paused: true }).stop();
  } catch (err) {
    out.push(`invalid schedule ${JSON.stringify(schedule)}: ${(err as Error).message.replace(/^CronPattern: /, '')}`);
  }
  if (timezone !== undefined && timezone !== '') {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      out.push(`invalid timezone ${JSON.stringify(timezone)}: not an IANA time zone name`);
    }
  }
  return out;
}

/** The event of one tick. */
export function pingEvent(c: PingConfig, at: Date): CloudEvent {
  const attrs: Record<string, string> = {
    specversion: '1.0',
    id: randomUUID(),
    source: pingSource(c.namespace, c.name),
    type: PING_EVENT_TYPE,
    time: at.toISOString(),
    ...c.extensions,
  };
  if (c.data !== undefined) attrs['datacontenttype'] = c.contentType ?? 'text/plain';
  return { attrs, data: c.data };
}

/** Runs `emit` on every tick of `c`'s schedule until `stop()`. */
export function startPing(c: PingConfig, emit: (e: CloudEvent) => void): { stop(): void } {
  const job = new Cron(c.schedule, { ...(c.timezone !== undefined && c.timezone !== '' && { timezone: c.timezone }), protect: true }, () => emit(pingEvent(c, new Date())));
  return { stop: () => job.stop() };
}

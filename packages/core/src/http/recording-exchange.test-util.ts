/**
 * A recording `Exchange` for the handler-stage tests of the queue-proxy and the activator (`@kdp/core/http/
 * recording-exchange.test-util`, test builds only): headers in, and every answer, forward and timeout out, as plain data.
 * `respond` ends the exchange as the engines do (one `onFinish`, outcome `complete`); `end` ends it otherwise.
 */
import type { Exchange, FinishListener, ForwardEdits, HeaderList, Outcome, Protocol, Timeouts, Upstream } from '../index.js';

export interface Answer {
  readonly status: number;
  readonly headers: HeaderList;
  readonly body: string;
}

export interface Forward {
  readonly upstream: Upstream;
  readonly edits: ForwardEdits;
  readonly host: string | undefined;
  readonly extra: HeaderList | undefined;
}

export class RecordingExchange implements Exchange {
  method = 'GET';
  target = '/';
  protocol: Protocol = 'HTTP/1.1';
  remoteAddress = '127.0.0.1';
  startedAt = 0;
  responseStarted = false;
  responseStartedAt = 0;
  finished = false;
  state: unknown = null;
  onFinish: FinishListener | null = null;
  readonly answers: Answer[] = [];
  readonly forwards: Forward[] = [];
  readonly timeouts: Timeouts[] = [];
  readonly #headers: Map<string, string>;

  constructor(headers: Record<string, string> = {}) {
    this.#headers = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  }

  header(lowerName: string): string | undefined {
    return this.#headers.get(lowerName);
  }

  respond(status: number, headers: HeaderList, body: string): void {
    if (this.finished || this.responseStarted) return;
    this.answers.push({ status, headers, body });
    this.end('complete', status);
  }

  forward(upstream: Upstream, edits: ForwardEdits, host: string | undefined, extra?: HeaderList): void {
    if (this.finished) return;
    this.forwards.push({ upstream, edits, host, extra });
  }

  setTimeouts(t: Timeouts): void {
    this.timeouts.push(t);
  }

  /** The exchange ends (as the engine would end it); `onFinish` runs once. */
  end(outcome: Outcome, status: number): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish?.(this, outcome, status);
  }
}

/** The next stage, recording what it was passed on and what it was told at the end. */
export class RecordingStage {
  readonly served: unknown[] = [];
  readonly finished: { p: unknown; outcome: Outcome; status: number; now: number }[] = [];
  /** Names, in call order, shared with other recorders to check the order of calls. */
  constructor(readonly log: string[] = []) {}

  serve(p: unknown): void {
    this.served.push(p);
    this.log.push('serve');
  }

  finish(p: unknown, outcome: Outcome, status: number, now: number): void {
    this.finished.push({ p, outcome, status, now });
    this.log.push('finish');
  }
}

import type { EventEmitter } from 'node:events';
import type { Logger } from '@kdp/core';
import type { ControlPlaneEvents } from './control-plane-api.js';

/** Emits one of the control plane's events (the object layer above listens). */
export type Emit = <K extends keyof ControlPlaneEvents>(name: K, ...args: ControlPlaneEvents[K]) => void;

/**
 * An `Emit` onto `events` that logs a listener's throw instead of passing it on: a listener of ours must not break
 * the component that reported the event (runtime, activator, request path).
 */
export function safeEmitter(events: EventEmitter<ControlPlaneEvents>, logger: Logger): Emit {
  return <K extends keyof ControlPlaneEvents>(name: K, ...args: ControlPlaneEvents[K]): void => {
    try {
      (events.emit as (n: K, ...a: ControlPlaneEvents[K]) => boolean)(name, ...args);
    } catch (err) {
      logger.error({ err, event: name }, 'control plane event listener threw');
    }
  };
}

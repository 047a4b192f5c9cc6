// `kdp apply -f service.yaml`: Knative `serving.knative.dev/v1` Services from YAML (several documents allowed, `-`
// for stdin), created or replaced as a whole, then waited for like `kn service apply`. The process comes from the
// container's `command`/`args`; relative paths in them are relative to `workingDir`, which is resolved against the
// caller's directory (and is the caller's directory when absent), as `--cmd` does.

import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CliError, GLOBAL_OPTIONS, intFlag, parse, positionals, UsageError } from '../args.js';
import { isObject } from '../objects/decode.js';
import type { Service } from '../objects/types.js';
import { DEFAULT_WAIT_TIMEOUT_S, waitForReady } from '../wait.js';
import { context, WAIT_OPTIONS } from './context.js';
import { applyEventing, isEventingDocument } from './apply-eventing.js';
import type { Io } from '../io.js';

export async function apply(args: readonly string[], io: Io): Promise<number> {
  const command = 'apply';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...WAIT_OPTIONS, filename: { type: 'string', short: 'f' } }, command);
  const ctx = context(values, io);
  positionals(pos, [], command);
  const file = values.filename;
  if (file === undefined) throw new UsageError(`'kdp apply' requires -f FILE (a Knative Service in YAML or JSON; - for stdin)`, command);
  const timeoutS = intFlag(values['wait-timeout'], 'wait-timeout', command, 1) ?? DEFAULT_WAIT_TIMEOUT_S;
  let text: string;
  try {
    text = await ctx.io.readText(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const objects = loadServices(text, file);
  for (const obj of objects) {
    if (isEventingDocument(obj)) {
      await applyEventing(obj, ctx);
      continue;
    }
    const meta = isObject(obj['metadata']) ? obj['metadata'] : {};
    const name = typeof meta['name'] === 'string' ? meta['name'] : '';
    const ns = typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? meta['namespace'] : ctx.namespace;
    // Apply is last-writer-wins: a resourceVersion copied from `-o yaml` must not make it fail.
    delete meta['resourceVersion'];
    delete obj['status'];
    inCallersDirectory(obj, ctx.io.cwd);
    const existing = name === '' ? undefined : await ctx.client.find<Service>('services', ns, name);
    let result: Service;
    if (existing === undefined) {
      result = await ctx.client.createService(ns, obj);
    } else {
      result = await ctx.client.replaceService(ns, name, obj);
      if (result.metadata.generation === existing.metadata.generation) {
        ctx.io.out(`No changes to apply to service '${name}' in namespace '${ns}'.\n`);
        continue;
      }
    }
    const verb = existing === undefined ? 'created' : 'updated';
    if (values['no-wait'] === true) {
      ctx.io.out(`Service '${name}' ${verb} in namespace '${ns}'.\n`);
      continue;
    }
    ctx.io.out(`${existing === undefined ? 'Creating' : 'Applying'} service '${name}' in namespace '${ns}':\n\n`);
    const svc = await waitForReady(ctx.client, ns, name, ctx.io, timeoutS);
    ctx.io.out(`\nService '${name}' ${verb} to latest revision '${svc.status.latestReadyRevisionName ?? ''}' is available at URL:\n${svc.status.url ?? ''}\n`);
  }
  return 0;
}

/** Every container runs in its `workingDir` resolved against `cwd`, or in `cwd` when it has none (as `--cmd`). */
function inCallersDirectory(svc: Record<string, unknown>, cwd: string): void {
  const spec = svc['spec'];
  const template = isObject(spec) ? spec['template'] : undefined;
  const podSpec = isObject(template) ? template['spec'] : undefined;
  const containers = isObject(podSpec) ? podSpec['containers'] : undefined;
  if (!Array.isArray(containers)) return;
  for (const c of containers as unknown[]) {
    if (!isObject(c)) continue;
    const wd = c['workingDir'];
    if (wd === undefined || wd === '') c['workingDir'] = cwd;
    else if (typeof wd === 'string') c['workingDir'] = path.resolve(cwd, wd);
  }
}

/** The Service documents of a YAML stream; anything else is refused before anything is sent. */
export function loadServices(text: string, file: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) throw new CliError(`${file}: document ${i + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const obj: unknown = doc.toJS();
    if (obj === null || obj === undefined) continue;
    if (!isObject(obj)) throw new CliError(`${file}: document ${i + 1} is not an object`);
    if ((obj['apiVersion'] !== 'serving.knative.dev/v1' || obj['kind'] !== 'Service') && !isEventingDocument(obj)) {
      throw new CliError(
        `${file}: document ${i + 1} is ${JSON.stringify(obj['apiVersion'])} ${JSON.stringify(obj['kind'])}; kdp applies serving.knative.dev/v1 Service, eventing.knative.dev/v1 Broker and Trigger, sources.knative.dev/v1 PingSource`,
      );
    }
    out.push(obj);
  }
  if (out.length === 0) throw new CliError(`${file}: no Service, Broker, Trigger or PingSource found`);
  return out;
}

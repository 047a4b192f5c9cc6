// From a Knative revision template (what the API stores) to the runtime's immutable Revision input.

import type { RevisionInput } from '@kdp/runtime';
import type { RevisionTemplateSpec } from './types.js';

export function toRevisionInput(namespace: string, service: string, name: string, template: RevisionTemplateSpec): RevisionInput {
  const spec = template.spec;
  const c = spec.containers[0] ?? {};
  // A local process has no image entrypoint: `command` holds the program and its leading arguments.
  const container: RevisionInput['container'] = {
    command: c.command ?? [],
    ...(c.name !== undefined && { name: c.name }),
    ...(c.args !== undefined && { args: c.args }),
    ...(c.env !== undefined && { env: c.env }),
    ...(c.ports !== undefined && { ports: c.ports }),
    ...(c.readinessProbe !== undefined && { readinessProbe: c.readinessProbe }),
    ...(c.workingDir !== undefined && { workingDir: c.workingDir }),
  };
  return {
    namespace,
    name,
    service,
    // A Service's Configuration carries the Service's name (serving pkg/reconciler/service/resources/names).
    configuration: service,
    container,
    ...(spec.containerConcurrency !== undefined && { containerConcurrency: spec.containerConcurrency }),
    ...(spec.timeoutSeconds !== undefined && { timeoutSeconds: spec.timeoutSeconds }),
    ...(spec.responseStartTimeoutSeconds !== undefined && { responseStartTimeoutSeconds: spec.responseStartTimeoutSeconds }),
    ...(spec.idleTimeoutSeconds !== undefined && { idleTimeoutSeconds: spec.idleTimeoutSeconds }),
    annotations: template.metadata.annotations ?? {},
  };
}

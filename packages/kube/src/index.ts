// Public API of @kdp/kube: the Kubernetes API access the cluster activator needs (connection, client, informer).
export { resolveKubeConnection, fromKubeconfig, SERVICE_ACCOUNT_DIR } from './connection.js';
export type { KubeConnection, ReadFile, ResolveResult } from './connection.js';
export { KubeClient, KubeApiError } from './client.js';
export type { WatchEvent, WatchHandle, WatchHandlers } from './client.js';
export { Informer } from './informer.js';
export type { InformerHandlers, InformerLogger, InformerOptions, InformerState, KubeObject, ObjectMeta } from './informer.js';

// Test helpers of @kdp/kube (imported as `@kdp/kube/testing`; never by production code).
export { FakeKubeApi, parseSelector } from './fake-api-server.js';
export type { FakeKubeApiOptions, FakeObject, RequestRecord } from './fake-api-server.js';
export { kubeconfigFor } from './kubeconfig.js';

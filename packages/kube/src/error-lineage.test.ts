import { KDP_ERRORS, KdpBaseError } from '@kdp/core/errors';
import { describe, expect, it } from 'vitest';
import { KubeApiError } from './client.js';

describe('kube errors in the kdp lineage', () => {
  it('KubeApiError carries KDP_ERR_KUBE_API and the API server\'s status and reason', () => {
    const e = new KubeApiError(410, 'Expired', 'too old resource version: 1 (2)');
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('KubeApiError');
    expect(e.code).toBe('KDP_ERR_KUBE_API');
    expect(Object.hasOwn(KDP_ERRORS, e.code)).toBe(true);
    expect(e.status).toBe(410);
    expect(e.reason).toBe('Expired');
    expect(e.message).toBe('too old resource version: 1 (2)');
  });
});

// QUEUE_PROXY_TLS_*: P:network/tls/config.go. Knative reads them only when TLS is on; kdp checks them always, so a
// typo shows before the day certificates get mounted.
import type { EnvReader } from '@kdp/core';

import { quote } from './config-env.js';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** QUEUE_PROXY_TLS_* decoded into node:tls terms (P:network/tls/config.go#DefaultConfigFromEnv). */
export interface TlsSettings {
  readonly minVersion: TlsVersion;
  /** undefined: Node's default (TLS 1.3). */
  readonly maxVersion: TlsVersion | undefined;
  /** OpenSSL names for `ciphers` (join with ':'); empty: Node's default. */
  readonly ciphers: readonly string[];
  /** Group names for `ecdhCurve` (join with ':'); empty: Node's default. */
  readonly ecdhCurves: readonly string[];
}

const TLS_VERSIONS: Readonly<Record<string, TlsVersion>> = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

// Go's tls.CipherSuites() names (plus the RSA key-exchange suites older Go versions list there) to OpenSSL names.
const CIPHERS: Readonly<Record<string, string>> = {
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
};

// P:network/tls/config.go#curvesByName, to OpenSSL group names.
const CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256', 'P-256': 'P-256', CurveP384: 'P-384', 'P-384': 'P-384', CurveP521: 'P-521', 'P-521': 'P-521',
  X25519: 'X25519', X25519MLKEM768: 'X25519MLKEM768',
};

function parseTlsList(reader: EnvReader, name: string, table: Readonly<Record<string, string>>, what: string): string[] {
  const out: string[] = [];
  for (const part of reader.string(name).split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const mapped = Object.hasOwn(table, item) ? table[item] : undefined;
    if (mapped === undefined) reader.problem(name, `unknown ${what} ${quote(item)}`);
    else out.push(mapped);
  }
  return out;
}

export function readTls(reader: EnvReader): TlsSettings {
  const version = (name: string): TlsVersion | undefined => {
    const raw = reader.string(name);
    if (raw === '') return undefined;
    const parsed = Object.hasOwn(TLS_VERSIONS, raw) ? TLS_VERSIONS[raw] : undefined;
    if (parsed === undefined) reader.problem(name, `unsupported TLS version ${quote(raw)} (expected "1.2" or "1.3")`);
    return parsed;
  };
  return {
    // P:network/tls/config.go#DefaultConfigFromEnv: MinVersion TLS 1.3 unless overridden.
    minVersion: version('QUEUE_PROXY_TLS_MIN_VERSION') ?? 'TLSv1.3',
    maxVersion: version('QUEUE_PROXY_TLS_MAX_VERSION'),
    ciphers: parseTlsList(reader, 'QUEUE_PROXY_TLS_CIPHER_SUITES', CIPHERS, 'cipher suite'),
    ecdhCurves: parseTlsList(reader, 'QUEUE_PROXY_TLS_CURVE_PREFERENCES', CURVES, 'curve'),
  };
}

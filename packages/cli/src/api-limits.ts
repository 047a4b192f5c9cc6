// Limits the control API and its client share (here, so the client does not load fastify to know them).

/** Largest request body: a Service is a few KiB; 1 MiB leaves room for long env lists and stops accidents. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

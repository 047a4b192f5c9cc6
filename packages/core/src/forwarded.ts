/**
 * The `Forwarded` header the queue-proxy synthesises from `X-Forwarded-*` (Knative `pkg/queue/forwarded_shim.go`,
 * `generateForwarded`), reproduced byte for byte, quirks included:
 *  - the first XFF node (trimmed) gives `for=<node>`, then `;host=<xfh>` and `;proto=<xfp>` follow it;
 *  - every further node is appended as `, for=<node>`;
 *  - a node containing `:` is taken for IPv6 and quoted as `"[<node>]"`;
 *  - a trailing comma adds no node, inner empty nodes give `for=`; `X-Forwarded-By` is ignored.
 *
 * The caller keeps the two rules that need the request: a request that already has `Forwarded` is left alone
 * (do not call this), and the result goes on the request before the proxy appends the peer to XFF.
 */

/**
 * The `Forwarded` value for these `X-Forwarded-For`, `-Host` and `-Proto` values (first header line of each, as
 * Go's `Header.Get`), or `undefined` when all three are absent or empty (no header is added then).
 */
export function forwardedFromXff(
  xff: string | undefined,
  xfh: string | undefined,
  xfp: string | undefined,
): string | undefined {
  const hasFor = xff !== undefined && xff !== '';
  const hasHost = xfh !== undefined && xfh !== '';
  const hasProto = xfp !== undefined && xfp !== '';
  if (!hasFor && !hasHost && !hasProto) return undefined;

  let out = '';
  let node = '';
  let next = 0;
  if (hasFor) {
    let comma = xff.indexOf(',');
    if (comma === -1) comma = xff.length;
    node = xff.slice(0, comma).trim();
    next = comma + 1;
    out = 'for=' + quoteNode(node);
  }
  if (hasHost) {
    // Go tests the node, not the header: XFF of only spaces gives "for=host=h".
    out += (node !== '' ? ';host=' : 'host=') + xfh;
  }
  if (hasProto) {
    out += (node !== '' || hasHost ? ';proto=' : 'proto=') + xfp;
  }
  if (hasFor) {
    while (next < xff.length) {
      let comma = xff.indexOf(',', next);
      if (comma === -1) comma = xff.length;
      out += ', for=' + quoteNode(xff.slice(next, comma).trim());
      next = comma + 1;
    }
  }
  return out;
}

function quoteNode(node: string): string {
  return node.includes(':') ? '"[' + node + ']"' : node;
}

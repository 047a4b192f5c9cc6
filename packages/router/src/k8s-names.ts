// Kubernetes name checks with Kubernetes' exact wording, as Knative's validation quotes them. Mirrors
// k8s.io/apimachinery v0.35.7 (the version knative/serving pins): pkg/util/validation/validation.go
// (IsDNS1035Label, IsDNS1123Label, IsDNS1123Subdomain) and pkg/api/validate/content/kube.go (IsQualifiedName ==
// IsLabelKey). Go measures lengths in bytes, so these do too.

const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_ERR =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic " +
  'character, and end with an alphanumeric character';
const DNS1035_LABEL = new RegExp(`^${DNS1035_LABEL_FMT}$`);

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_ERR =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end " +
  'with an alphanumeric character';
const DNS1123_LABEL = new RegExp(`^${DNS1123_LABEL_FMT}$`);

const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_ERR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start " +
  'and end with an alphanumeric character';
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);

const LABEL_KEY_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_KEY_ERR =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_KEY = new RegExp(`^${LABEL_KEY_FMT}$`);

const LABEL_MAX_BYTES = 63;
const SUBDOMAIN_MAX_BYTES = 253;

function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** validation.MaxLenError (pkg/util/validation says "characters"; pkg/api/validate/content says "bytes"). */
function maxLenCharacters(n: number): string {
  return `must be no more than ${n} characters`;
}
function maxLenBytes(n: number): string {
  return `must be no more than ${n} bytes`;
}

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  // Each example ends in ", " and they are joined by " or ", so Kubernetes prints `'my-name',  or 'abc-123', `
  // with two spaces; Knative's own tests expect exactly that.
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

/** IsDNS1035Label: the rule for a traffic tag. Empty list = valid. */
export function dns1035LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > LABEL_MAX_BYTES) errs.push(maxLenCharacters(LABEL_MAX_BYTES));
  if (!DNS1035_LABEL.test(value)) errs.push(regexError(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  return errs;
}

/** IsDNS1123Label: the rule for each label of a generated host name. Empty list = valid. */
export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > LABEL_MAX_BYTES) errs.push(maxLenCharacters(LABEL_MAX_BYTES));
  if (!DNS1123_LABEL.test(value)) {
    // A valid subdomain that is not a valid label can only be failing on its dots (the length was checked above).
    errs.push(
      DNS1123_SUBDOMAIN.test(value)
        ? 'must not contain dots'
        : regexError(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, 'my-name', '123-abc'),
    );
  }
  return errs;
}

/** IsDNS1123Subdomain (content package wording, as IsQualifiedName's prefix check uses it). Empty list = valid. */
export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > SUBDOMAIN_MAX_BYTES) errs.push(maxLenBytes(SUBDOMAIN_MAX_BYTES));
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errs.push(regexError(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  }
  return errs;
}

/** IsQualifiedName: the rule for `revisionName` and `configurationName` in a traffic target. Empty list = valid. */
export function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = value;
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of dns1123SubdomainErrors(prefix)) errs.push(`prefix part ${m}`);
  } else {
    errs.push(
      `a valid label key ${regexError(LABEL_KEY_ERR, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    );
    return errs;
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (byteLength(name) > LABEL_MAX_BYTES) errs.push(`name part ${maxLenBytes(LABEL_MAX_BYTES)}`);
  if (!LABEL_KEY.test(name)) {
    errs.push(`name part ${regexError(LABEL_KEY_ERR, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

/**
 * Go's `%q` for the strings that appear in Knative's messages: backslash escapes for `"` `\` and the C escapes,
 * `\x..` for other ASCII controls. Printable non-ASCII text stays as it is, as in Go; Go would also escape
 * non-printable Unicode (U+0080..U+009F, unassigned code points), which this does not.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\x07':
        out += '\\a';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\v':
        out += '\\v';
        break;
      default:
        out += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
    }
  }
  return `${out}"`;
}

// knative/pkg apis/field_error.go, reduced to what traffic validation needs: a flat list of (message, paths,
// details), merged and ordered the way `FieldError.Error()` prints it, so the text is Knative's byte for byte.

/** One diagnostic: Knative's `FieldError` leaf. Paths are already flattened (`spec.traffic[0].percent`). */
export interface FieldIssue {
  readonly message: string;
  readonly paths: readonly string[];
  /** Knative's `Details`: printed on its own line after `message: paths`. */
  readonly details?: string;
}

function compare(a: string, b: string): number {
  // Go compares strings bytewise; UTF-16 order agrees with it except across surrogate pairs, which names that
  // reach these messages do not contain in practice.
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `FieldError.WrappedErrors()`: issues with the same message and details become one, their paths merged without
 * duplicates and sorted; the result is sorted by message, then details.
 */
export function mergeFieldIssues(issues: readonly FieldIssue[]): FieldIssue[] {
  const byKey = new Map<string, { message: string; details: string; paths: string[] }>();
  for (const issue of issues) {
    const details = issue.details ?? '';
    const key = `${issue.message}\u0000${details}`;
    const existing = byKey.get(key);
    if (existing === undefined) {
      byKey.set(key, { message: issue.message, details, paths: [...issue.paths] });
    } else {
      for (const p of issue.paths) if (!existing.paths.includes(p)) existing.paths.push(p);
    }
  }
  return [...byKey.values()]
    .map((e) => ({ message: e.message, details: e.details, paths: e.paths.sort(compare) }))
    .sort((a, b) => compare(a.message, b.message) || compare(a.details, b.details))
    .map((e) => (e.details === '' ? { message: e.message, paths: e.paths } : e));
}

/**
 * `FieldError.Error()`: one `message: path, path` entry per merged issue (details on the next line), joined by
 * newlines.
 */
export function formatFieldIssues(issues: readonly FieldIssue[]): string {
  return mergeFieldIssues(issues)
    .map((e) => {
      const head = `${e.message}: ${e.paths.join(', ')}`;
      return e.details === undefined ? head : `${head}\n${e.details}`;
    })
    .join('\n');
}

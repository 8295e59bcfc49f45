/**
 * How commands report: each returns both a JSON value (printed alone on stdout with `--json`) and the lines a person
 * reads. Keeping the two side by side means `--json` never carries log text.
 */

/** What a command hands back to the entry point. */
export interface CommandResult {
  /** Printed as one JSON document on stdout with `--json`. */
  json: unknown;
  /** Printed on stdout otherwise. */
  text: string;
}

/** ISO-8601 for an epoch-milliseconds timestamp; null stays null (JSON output uses these, not raw numbers). */
export function isoTime(ms: number | null | undefined): string | null {
  return ms == null ? null : new Date(ms).toISOString();
}

/** A plain left-aligned text table; an empty list renders as `(none)`. */
export function table(
  rows: ReadonlyArray<Record<string, string | number | null | undefined>>,
  columns: readonly string[],
): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => String(row[c] ?? '-')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

/** How results are printed: JSON for scripts, an aligned table for people. */
export type OutputFormat = "json" | "table";

type Row = Record<string, unknown>;

/** Prints rows (or one record) to stdout in the chosen format. */
export function print(value: Row | Row[], format: OutputFormat, out: NodeJS.WritableStream = process.stdout): void {
  if (format === "json") {
    out.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
    return;
  }
  const rows = Array.isArray(value) ? value : [value];
  if (rows.length === 0) return;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  out.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) out.write(`${line(columns.map((c) => cell(r[c])))}\n`);
}

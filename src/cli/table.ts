import { printable } from "../core/text.js";

/** Visible width, ignoring ANSI colour codes. */
// eslint-disable-next-line no-control-regex
const width = (text: string): number => text.replace(/\u001b\[[0-9;]*m/g, "").length;

/** Left-aligned columns, numbers right-aligned; values escaped so stored text cannot drive the terminal. */
export function table(headers: string[], rows: (string | number)[][], options: { raw?: boolean } = {}): string {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === "number" || options.raw ? String(cell) : printable(cell, 60))));
  const widths = headers.map((header, i) => Math.max(width(header), ...cells.map((row) => width(row[i] ?? ""))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === "number"));
  const line = (row: string[]): string =>
    row
      .map((cell, i) => {
        const pad = " ".repeat(Math.max(0, (widths[i] ?? 0) - width(cell)));
        return numeric[i] ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(headers), ...cells.map(line)].join("\n");
}

/** Plain-text tables for the scripts' reports. */

export type Align = "left" | "right";

export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, align: readonly Align[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const cell = (text: string, i: number) => ((align[i] ?? (i === 0 ? "left" : "right")) === "left" ? text.padEnd(widths[i]!) : text.padStart(widths[i]!));
  const line = (cells: readonly string[]) => cells.map((c, i) => cell(c ?? "", i)).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function pct(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined ? "-" : `${(x * 100).toFixed(digits)}%`;
}

export function ms(x: number | null | undefined): string {
  return x === null || x === undefined ? "-" : `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
}

export function fixed(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined ? "-" : x.toFixed(digits);
}

export function int(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

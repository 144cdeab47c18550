/**
 * Loads real training data from CSV: a header of feature names plus `success`, one startup per
 * row. Every cell goes through core's validateFeatureValue, so training accepts exactly what the
 * API accepts. A row with any problem is left out and reported with its line number and every
 * reason; nothing is dropped silently, and the load fails when bad rows exceed `maxBadShare`.
 */

import { readFile } from "node:fs/promises";
import { normalizeBoolean, validateFeatureValue, type FeatureValue } from "../../core/encoding.js";
import { FEATURES, getFeature, type Feature } from "../../core/schema.js";
import type { LabelledFeatures } from "./dataset.js";

export const LABEL_COLUMN = "success";

export interface ParseTrainingCsvOptions {
  /** Largest share of data rows that may be bad before the load fails (default 0.01). */
  readonly maxBadShare?: number;
}

export interface BadRow {
  /** 1-based line in the file where the row starts (the header is line 1). */
  readonly line: number;
  readonly reasons: readonly string[];
}

export interface ParseTrainingCsvResult {
  readonly rows: readonly LabelledFeatures[];
  readonly badRows: readonly BadRow[];
  /** Things worth knowing that are not errors: ignored columns, absent features, blank lines. */
  readonly notices: readonly string[];
  /** Data rows seen (good + bad). */
  readonly totalRows: number;
}

export class CsvError extends Error {
  override readonly name = "CsvError";
  constructor(
    message: string,
    readonly badRows: readonly BadRow[] = [],
  ) {
    super(message);
  }
}

interface CsvRecord {
  readonly line: number;
  readonly cells: string[];
}

/**
 * RFC 4180 records: quoted cells may hold commas, doubled quotes and line breaks; CRLF or LF.
 * Yields the line each record starts on, so reports point at the right place in the file.
 */
export function* readCsvRecords(text: string): Generator<CsvRecord> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 byte order mark is not data
  let line = 1;
  while (i < text.length) {
    const startLine = line;
    const cells: string[] = [];
    let cell = "";
    let quoted = false;
    let cellStart = true;
    for (;;) {
      if (i >= text.length) {
        if (quoted) throw new CsvError(`line ${startLine}: a quoted cell is never closed`);
        cells.push(cell);
        break;
      }
      const ch = text[i]!;
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
          }
        } else {
          if (ch === "\n") line++;
          cell += ch;
          i++;
        }
        continue;
      }
      if (ch === '"' && cellStart) {
        quoted = true;
        cellStart = false;
        i++;
      } else if (ch === ",") {
        cells.push(cell);
        cell = "";
        cellStart = true;
        i++;
      } else if (ch === "\n" || ch === "\r") {
        cells.push(cell);
        i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
        line++;
        break;
      } else {
        cell += ch;
        cellStart = false;
        i++;
      }
    }
    yield { line: startLine, cells };
  }
}

/** Plain decimal numbers only: "1e3" and "-0.5" yes; "0x10", "1,000", "Infinity" no. */
const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The raw value validateFeatureValue should see for a CSV cell of this feature. */
function cellValue(feature: Feature, cell: string): unknown {
  const text = cell.trim();
  if (text === "") return undefined;
  if (feature.type === "category") return text;
  // Numbers become numbers; for booleans this turns 1.0 / 0.0 (how pandas writes a boolean
  // column with gaps) into 1 / 0. Anything else stays text and gets validation's message.
  return NUMBER_PATTERN.test(text) ? Number(text) : text;
}

function parseLabel(cell: string): { value?: boolean; reason?: string } {
  const text = cell.trim();
  if (text === "") return { reason: `${LABEL_COLUMN} is empty (every row needs an outcome)` };
  const value = normalizeBoolean(NUMBER_PATTERN.test(text) ? Number(text) : text);
  if (value === undefined) return { reason: `${LABEL_COLUMN} must be 0/1 or true/false, got ${JSON.stringify(text)}` };
  return { value };
}

export function parseTrainingCsv(text: string, options: ParseTrainingCsvOptions = {}): ParseTrainingCsvResult {
  const maxBadShare = options.maxBadShare ?? 0.01;
  if (!(maxBadShare >= 0 && maxBadShare <= 1)) throw new RangeError("maxBadShare must be in [0, 1]");
  const records = readCsvRecords(text);
  const first = records.next();
  if (first.done) throw new CsvError("the file is empty: expected a header with the feature names and success");
  const header = first.value.cells.map((c) => c.trim());
  const notices: string[] = [];

  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new CsvError(`line 1: the column ${JSON.stringify(name)} appears twice in the header`);
    seen.add(name);
  }
  const labelIndex = header.indexOf(LABEL_COLUMN);
  if (labelIndex < 0) throw new CsvError(`line 1: the header has no "${LABEL_COLUMN}" column (the outcome, 0/1 or true/false)`);
  const columns = header.map((name) => getFeature(name));
  const featureColumns = columns.filter((f) => f !== undefined).length;
  if (featureColumns === 0) {
    throw new CsvError("line 1: the header names none of the 45 features (see core/schema.ts for their names)");
  }
  const ignored = header.filter((name, i) => i !== labelIndex && columns[i] === undefined);
  if (ignored.length > 0) notices.push(`ignored ${ignored.length} column(s) that are not features: ${ignored.join(", ")}`);
  const absent = FEATURES.filter((f) => !seen.has(f.name)).map((f) => f.name);
  if (absent.length > 0) notices.push(`${absent.length} feature(s) have no column and are treated as missing: ${absent.join(", ")}`);

  const rows: LabelledFeatures[] = [];
  const badRows: BadRow[] = [];
  let blankLines = 0;
  let totalRows = 0;
  for (const record of records) {
    if (record.cells.length === 1 && record.cells[0]!.trim() === "") {
      blankLines++;
      continue;
    }
    totalRows++;
    if (record.cells.length !== header.length) {
      badRows.push({ line: record.line, reasons: [`has ${record.cells.length} cells, the header has ${header.length}`] });
      continue;
    }
    const reasons: string[] = [];
    const values: Record<string, FeatureValue> = {};
    for (let c = 0; c < header.length; c++) {
      const feature = columns[c];
      if (!feature) continue;
      const { value, issue } = validateFeatureValue(feature, cellValue(feature, record.cells[c]!));
      if (issue) reasons.push(issue.message);
      else if (value !== undefined) values[feature.name] = value;
    }
    const label = parseLabel(record.cells[labelIndex]!);
    if (label.reason) reasons.push(label.reason);
    if (reasons.length > 0) badRows.push({ line: record.line, reasons });
    else rows.push({ features: values, success: label.value! });
  }
  if (blankLines > 0) notices.push(`skipped ${blankLines} blank line(s)`);
  if (totalRows === 0) throw new CsvError("the file has a header but no data rows");
  const badShare = badRows.length / totalRows;
  if (badShare > maxBadShare) {
    const shown = badRows.slice(0, 10).map((b) => `  line ${b.line}: ${b.reasons.join("; ")}`);
    throw new CsvError(
      `${badRows.length} of ${totalRows} rows (${(badShare * 100).toFixed(2)}%) are bad, more than the allowed ${(maxBadShare * 100).toFixed(2)}%:\n` +
        shown.join("\n") +
        (badRows.length > shown.length ? `\n  … and ${badRows.length - shown.length} more` : "") +
        "\nFix the rows, or raise the limit with --max-bad-share.",
      badRows,
    );
  }
  return { rows, badRows, notices, totalRows };
}

export async function loadTrainingCsv(path: string, options: ParseTrainingCsvOptions = {}): Promise<ParseTrainingCsvResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CsvError(code === "ENOENT" ? `no such file: ${path}` : `cannot read ${path}: ${(error as Error).message}`);
  }
  return parseTrainingCsv(text, options);
}

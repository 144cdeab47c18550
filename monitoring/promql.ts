/**
 * Reads the vector selectors (metric name and label matchers) out of a PromQL expression, so
 * tests can check every name a dashboard or rule uses against the /metrics contract. It is a
 * scanner, not a full parser: `promtool check rules` checks the syntax; this finds the names.
 * Grafana variables ($version, ${version}, $__rate_interval, ...) are accepted where a value or
 * a duration stands.
 */

export interface LabelMatcher {
  readonly label: string;
  readonly op: "=" | "!=" | "=~" | "!~";
  readonly value: string;
}

export interface VectorSelector {
  /** The metric name, or null for a selector with only matchers, like {__name__=~"..."}. */
  readonly metric: string | null;
  readonly matchers: readonly LabelMatcher[];
}

/** Words that are PromQL syntax, not metric names, when they do not open a call. */
const KEYWORDS = new Set([
  "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
  "and", "or", "unless", "offset", "atan2", "inf", "nan", "start", "end",
]);

/** Words followed by a parenthesised label list rather than an expression. */
const LABEL_LIST_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

/** Aggregation operators: `sum by (x) (...)` puts a modifier between the name and its call. */
const AGGREGATIONS = new Set([
  "sum", "avg", "count", "min", "max", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
]);

export class PromqlScanError extends Error {
  constructor(expr: string, at: number, why: string) {
    super(`${why} at offset ${at} in: ${expr}`);
    this.name = "PromqlScanError";
  }
}

const isIdentStart = (c: string) => /[A-Za-z_:]/.test(c);
const isIdentPart = (c: string) => /[A-Za-z0-9_:]/.test(c);

function readString(expr: string, start: number): { value: string; end: number } {
  const quote = expr[start]!;
  let value = "";
  let i = start + 1;
  while (i < expr.length && expr[i] !== quote) {
    if (expr[i] === "\\" && quote !== "`") {
      value += expr[i + 1] ?? "";
      i += 2;
    } else value += expr[i++];
  }
  if (i >= expr.length) throw new PromqlScanError(expr, start, "unterminated string");
  return { value, end: i + 1 };
}

function skipSpace(expr: string, i: number): number {
  while (i < expr.length && /\s/.test(expr[i]!)) i++;
  return i;
}

/** Skips a balanced group that opens at `start` with `open`; returns the index after it. */
function skipGroup(expr: string, start: number, open: string, close: string): number {
  let depth = 0;
  for (let i = start; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === "`") {
      i = readString(expr, i).end - 1;
    } else if (c === open) depth++;
    else if (c === close && --depth === 0) return i + 1;
  }
  throw new PromqlScanError(expr, start, `unbalanced ${open}`);
}

function readMatchers(expr: string, start: number): { matchers: LabelMatcher[]; end: number } {
  const matchers: LabelMatcher[] = [];
  let i = start + 1;
  for (;;) {
    i = skipSpace(expr, i);
    if (expr[i] === "}") return { matchers, end: i + 1 };
    if (expr[i] === ",") {
      i++;
      continue;
    }
    const labelStart = i;
    while (i < expr.length && isIdentPart(expr[i]!)) i++;
    const label = expr.slice(labelStart, i);
    if (!label) throw new PromqlScanError(expr, i, "expected a label name");
    i = skipSpace(expr, i);
    const op = (["=~", "!~", "!=", "="] as const).find((o) => expr.startsWith(o, i));
    if (!op) throw new PromqlScanError(expr, i, `expected a matcher operator after ${label}`);
    i = skipSpace(expr, i + op.length);
    if (!['"', "'", "`"].includes(expr[i] ?? "")) throw new PromqlScanError(expr, i, `expected a quoted value for ${label}`);
    const { value, end } = readString(expr, i);
    matchers.push({ label, op, value });
    i = end;
  }
}

/** Every vector selector in `expr`, in order of appearance. */
export function vectorSelectors(expr: string): VectorSelector[] {
  const selectors: VectorSelector[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === "`") {
      i = readString(expr, i).end;
    } else if (c === "#") {
      while (i < expr.length && expr[i] !== "\n") i++;
    } else if (c === "$") {
      // A Grafana variable: $name, ${name} or ${name:format}.
      i = expr[i + 1] === "{" ? skipGroup(expr, i + 1, "{", "}") : i + 1;
      while (i < expr.length && isIdentPart(expr[i]!)) i++;
    } else if (c === "[") {
      i = skipGroup(expr, i, "[", "]");
    } else if (c === "{") {
      const { matchers, end } = readMatchers(expr, i);
      selectors.push({ metric: null, matchers });
      i = end;
    } else if (/[0-9.]/.test(c)) {
      // A number or a duration (5m, 1.5e3, 0x1f): consume it whole so its letters are not a name.
      while (i < expr.length && /[0-9A-Za-z_.]/.test(expr[i]!)) i++;
    } else if (isIdentStart(c)) {
      const start = i;
      while (i < expr.length && isIdentPart(expr[i]!)) i++;
      const word = expr.slice(start, i);
      const next = skipSpace(expr, i);
      const lower = word.toLowerCase();
      if (LABEL_LIST_KEYWORDS.has(lower)) {
        // by (a, b) / on (a) / group_left (a) (the list is optional after group_left/right).
        if (expr[next] === "(") i = skipGroup(expr, next, "(", ")");
      } else if (expr[next] === "(" || (AGGREGATIONS.has(lower) && /^(by|without)\b/i.test(expr.slice(next)))) {
        // A function or aggregation call: its arguments are scanned as the loop goes on.
      } else if (!KEYWORDS.has(lower)) {
        if (expr[next] === "{") {
          const { matchers, end } = readMatchers(expr, next);
          selectors.push({ metric: word, matchers });
          i = end;
        } else selectors.push({ metric: word, matchers: [] });
      }
    } else {
      i++;
    }
  }
  return selectors;
}

/** The metric names `expr` selects, without repeats. */
export function metricNames(expr: string): string[] {
  return [...new Set(vectorSelectors(expr).flatMap((s) => (s.metric ? [s.metric] : [])))];
}

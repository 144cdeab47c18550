/** `npm run status`: the split, its recent history and each version's stats, as tables. */

import { VERDICT_BANDS } from "../../core/verdict.js";
import type { CommandSpec } from "./cli.js";
import type { Color, Split, SplitChange, StatsSnapshot, VersionStats } from "./stats.js";
import { fixed, formatTable, int, ms, pct } from "./table.js";
import { ROUTER_ENV, ROUTER_OPTIONS } from "./config.js";

export const STATUS_SPEC: CommandSpec = {
  name: "status",
  summary: "show the traffic split, its history and each version's stats",
  usage: "npm run status -- [options]",
  options: [
    ...ROUTER_OPTIONS,
    { name: "window", type: "string", placeholder: "<duration>", description: "stats window", defaultText: "5m" },
    { name: "history", type: "string", placeholder: "<n>", description: "how many split changes to show", defaultText: "10" },
    { name: "json", type: "boolean", description: "print {split, history, stats} as JSON" },
  ],
  env: [
    ...ROUTER_ENV,
  ],
  exitCodes: [
    [0, "printed"],
    [1, "the router could not be read"],
    [2, "usage error"],
  ],
  examples: ["npm run status", "npm run status -- --window 1m --history 20", "npm run status -- --json | jq .stats.versions.green.error_rate"],
};

export interface StatusData {
  split: Split;
  history: SplitChange[];
  stats: StatsSnapshot;
}

function role(split: Split, color: Color): string {
  return color === split.stable ? "stable" : "candidate";
}

export function formatSplit(split: Split): string {
  const candidate = split.candidate_percent;
  return [
    `split (revision ${split.revision}): stable ${split.stable} ${100 - candidate}%, candidate ${split.candidate} ${candidate}%, shadow ${split.shadow_percent}%`,
    `  models: ${split.stable} (stable) ${split.models[split.stable] ?? "unknown"}, ${split.candidate} (candidate) ${split.models[split.candidate] ?? "unknown"}${split.models.blue !== null && split.models.blue === split.models.green ? " (the same model)" : ""}`,
    `  last change ${split.updated_at ?? "-"} by ${split.updated_by ?? "-"}: ${split.reason ?? "-"}`,
  ].join("\n");
}

/** Terminal width the report fits: wider lines wrap in an 80-100 column terminal and become unreadable. */
export const STATUS_COLUMNS = 100;

export function formatHistory(history: readonly SplitChange[], limit: number): string {
  const headers = ["rev", "at", "action", "from", "to", "by", "reason"];
  const rows = history.slice(0, limit).map((c) => [
    String(c.revision),
    c.at.replace("T", " ").replace(/\.\d+Z$/, "Z"),
    c.action,
    `${c.from.stable}/${c.from.candidate_percent}%`,
    `${c.to.stable}/${c.to.candidate_percent}%`,
    c.by,
    c.reason,
  ]);
  // The reason gets what the other columns leave of the width and wraps onto continuation lines:
  // a rollback's reason carries the failing gate's evidence, too useful to cut.
  const fixedWidth = headers.slice(0, -1).reduce((sum, h, i) => sum + Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2, 0);
  const room = Math.max(20, STATUS_COLUMNS - fixedWidth);
  const wrapped = rows.flatMap((row) => wrapWords(row[6]!, room).map((part, i) => (i === 0 ? [...row.slice(0, 6), part] : ["", "", "", "", "", "", part])));
  return formatTable(headers, wrapped, ["right", "left", "left", "left", "left", "left", "left"]);
}

/** Splits text into lines of at most `width` characters at spaces (a longer word is cut). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  const words = text.split(" ").flatMap((w) => (w.length > width ? (w.match(new RegExp(`.{1,${width}}`, "g")) ?? []) : [w]));
  for (const word of words) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}

/** One row per verdict seen in either version, best first, so the table stays narrow. */
function verdictRows(colors: readonly Color[], stats: StatsSnapshot): string[][] {
  const totals = colors.map((c) => Object.values(stats.versions[c].verdicts).reduce((s, n) => s + n, 0));
  if (totals.every((t) => t === 0)) return [["verdicts", ...colors.map(() => "-")]];
  const seen = new Set(colors.flatMap((c) => Object.keys(stats.versions[c].verdicts)));
  const order: readonly string[] = VERDICT_BANDS.map((b) => b.id);
  const names = [...order.filter((v) => seen.has(v)), ...[...seen].filter((v) => !order.includes(v))];
  return names.map((name) => [
    `verdict ${name}`,
    ...colors.map((c, k) => (totals[k]! > 0 ? `${Math.round((100 * (stats.versions[c].verdicts[name] ?? 0)) / totals[k]!)}%` : "-")),
  ]);
}

export function formatStats(stats: StatsSnapshot, split: Split): string {
  const colors: Color[] = [split.stable, split.candidate];
  const col = (f: (v: VersionStats) => string) => colors.map((c) => f(stats.versions[c]));
  const rows: string[][] = [
    ["model", ...colors.map((c) => stats.versions[c].model_version ?? split.models[c] ?? "-")],
    ["requests", ...col((v) => int(v.requests))],
    ["2xx / 4xx / 5xx", ...col((v) => `${int(v.status["2xx"])} / ${int(v.status["4xx"])} / ${int(v.status["5xx"])}`)],
    ["error rate (5xx)", ...col((v) => (v.requests > 0 ? pct(v.error_rate) : "-"))],
    ["fallbacks", ...col((v) => int(v.fallbacks))],
    ["latency p50", ...col((v) => ms(v.latency_ms.p50))],
    ["latency p95", ...col((v) => ms(v.latency_ms.p95))],
    ["latency p99", ...col((v) => ms(v.latency_ms.p99))],
    ["cache hit rate", ...col((v) => pct(v.cache.hit_rate, 1))],
    ["predictions", ...col((v) => int(v.predictions.count))],
    ["prediction mean", ...col((v) => fixed(v.predictions.mean))],
    ["prediction std", ...col((v) => fixed(v.predictions.std))],
    ...verdictRows(colors, stats),
    ["shadow comparisons", ...col((v) => int(v.shadow.comparisons))],
    ["shadow mean |diff|", ...col((v) => fixed(v.shadow.mean_abs_diff, 4))],
    ["shadow max |diff|", ...col((v) => fixed(v.shadow.max_abs_diff, 4))],
    ["shadow verdict changes", ...col((v) => (v.shadow.comparisons > 0 ? `${int(v.shadow.verdict_changes)} (${pct(v.shadow.verdict_changes / v.shadow.comparisons, 1)})` : "-"))],
  ];
  const header = ["", ...colors.map((c) => `${c} (${role(split, c)})`)];
  return `stats over the last ${stats.window_seconds}s (${stats.source}, ${stats.generated_at}):\n${formatTable(header, rows)}`;
}

export function formatStatusReport(data: StatusData, historyLimit = 10): string {
  return [formatSplit(data.split), "", `history (newest first, ${Math.min(historyLimit, data.history.length)} of ${data.history.length}):`, formatHistory(data.history, historyLimit), "", formatStats(data.stats, data.split)].join("\n");
}

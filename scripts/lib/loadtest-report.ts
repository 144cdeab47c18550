/** `npm run loadtest`'s options, progress bar and report. */

import type { CommandSpec } from "./cli.js";
import type { Criterion, LoadSummary } from "./load-runner.js";
import { formatTable, int, ms, pct } from "./table.js";
import { API_OPTIONS } from "./config.js";

export const LOADTEST_SPEC: CommandSpec = {
  name: "loadtest",
  summary: "load-test POST /predict with a realistic request mix and check the v1 guide's success criteria",
  usage: "npm run loadtest -- [-n <requests>] [-c <concurrency>] [options]",
  description: [
    "Like the v1 guide's `ab -n 1000 -c 10 -H \"Authorization: Bearer ...\"`, with bodies shaped like FLASH's",
    "data (model-build's synthetic startups, sparse v1-style requests, extra fields) and a share of",
    "repeated bodies to exercise the cache. Reports p50/p95/p99/max, errors, cache hit rate, the",
    "prediction range and the v1 success criteria (p99 < 200 ms, errors < 1%, hit rate > 70%, range 0-100%).",
  ].join("\n"),
  options: [
    ...API_OPTIONS,
    { name: "requests", short: "n", type: "string", placeholder: "<n>", description: "number of requests", defaultText: "1000" },
    { name: "concurrency", short: "c", type: "string", placeholder: "<n>", description: "requests in flight at once", defaultText: "10" },
    { name: "duration", type: "string", placeholder: "<duration>", description: "run for this long instead of a number of requests" },
    { name: "rate", type: "string", placeholder: "<req/s>", description: "pace the run to about this many requests per second" },
    { name: "repeat-share", type: "string", placeholder: "<0..1>", description: "share of requests repeating an earlier body", defaultText: "0.8" },
    { name: "pool", type: "string", placeholder: "<n>", description: "distinct bodies the repeats come from", defaultText: "50" },
    { name: "clients", type: "string", placeholder: "<n>", description: "distinct X-Client-Id values", defaultText: "1000" },
    { name: "seed", type: "string", placeholder: "<n>", description: "seed of the request mix", defaultText: "random" },
    { name: "timeout", type: "string", placeholder: "<duration>", description: "per-request timeout", defaultText: "10s" },
    { name: "quiet", short: "q", type: "boolean", description: "no progress bar" },
    { name: "json", type: "boolean", description: "print the summary and criteria as JSON" },
  ],
  env: [
    ["FLASH_API_URL", "base URL to load (the router or an API deployment)"],
    ["FLASH_API_KEY", "API key"],
  ],
  exitCodes: [
    [0, "every v1 success criterion met"],
    [1, "at least one criterion not met (the report says which)"],
    [2, "usage error"],
  ],
  examples: ["npm run loadtest", "npm run loadtest -- -n 5000 -c 20 --repeat-share 0.9", "FLASH_API_URL=https://staging.example.com FLASH_API_KEY=... npm run loadtest -- --json"],
};

export function progressBar(done: number, total: number, width = 30): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(share * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}%`;
}

export function formatLoadReport(s: LoadSummary, criteria: readonly Criterion[]): string {
  const statuses = Object.entries(s.status)
    .sort()
    .map(([k, n]) => `${k}: ${int(n)}`)
    .join(", ");
  const versions = Object.entries(s.versions)
    .map(([k, n]) => `${k} ${int(n)}`)
    .join(", ");
  const rows: string[][] = [
    ["requests", `${int(s.requests)} in ${s.duration_s.toFixed(1)} s (${s.requests_per_second.toFixed(0)} req/s)`],
    ["status", statuses || "-"],
    ["errors", `${int(s.errors)} (${pct(s.error_rate)})`],
    ["latency p50 / p95 / p99", `${ms(s.latency_ms.p50)} / ${ms(s.latency_ms.p95)} / ${ms(s.latency_ms.p99)}`],
    ["latency max / mean", `${ms(s.latency_ms.max)} / ${ms(s.latency_ms.mean)}`],
    ["cache HIT / MISS / BYPASS", `${int(s.cache.hit)} / ${int(s.cache.miss)} / ${int(s.cache.bypass)} (hit rate ${pct(s.cache.hit_rate, 1)})`],
    ["predictions", s.predictions.count ? `${int(s.predictions.count)}, range ${pct(s.predictions.min, 1)} - ${pct(s.predictions.max, 1)}, mean ${pct(s.predictions.mean, 1)}` : "-"],
    ["served by", versions ? `${versions}${s.fallbacks ? `, ${int(s.fallbacks)} after a fallback` : ""}` : "- (no X-Flash-Version: not behind the router)"],
  ];
  const out = [formatTable(["", "result"], rows, ["left", "left"])];
  if (s.first_errors.length) out.push("", "first errors:", ...s.first_errors.map((e) => `  ${e}`));
  out.push("", "v1 success criteria:");
  out.push(formatTable(["criterion", "target", "actual", ""], criteria.map((c) => [c.name, c.target, c.actual, c.met ? "met" : "NOT MET"]), ["left", "left", "left", "left"]));
  return out.join("\n");
}

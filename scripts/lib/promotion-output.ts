/** Human-readable lines for the promotion's events (`--json` prints the events themselves). */

import { formatGateLine } from "../rollout/gates.js";
import type { PromotionEvent } from "./promotion.js";

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds * 10) / 10}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return s ? `${m}m${s}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? `${m % 60}m` : ""}`;
}

function clock(iso: string): string {
  return iso.slice(11, 19);
}

export function formatPromotionEvent(e: PromotionEvent): string[] {
  switch (e.event) {
    case "plan": {
      const p = e.plan;
      const path = [`${p.starting_percent}%`, ...p.steps.map((s) => `${s.percent}%`)].join(" -> ");
      return [
        `${e.dry_run ? "DRY RUN (reads live stats, changes nothing): " : ""}rolling out ${p.candidate} over ${p.stable}: ${path}`,
        `  bake ${formatDuration(p.steps[0]?.bake_seconds ?? 0)} per step, check every ${formatDuration(p.check_interval_seconds)} over a ${formatDuration(p.window_seconds)} window, stats from ${e.source}`,
        `  deadline in ${formatDuration(p.deadline_seconds)} (shortest possible run ${formatDuration(p.minimum_seconds)}); at the deadline without evidence: ${e.policy.on_no_data}`,
        `  gates: 5xx <= ${e.policy.error_rate.max * 100}% and not above stable (z-test ${e.policy.error_rate.confidence * 100}%), p99 <= ${e.policy.latency.max_p99_ms} ms and <= ${e.policy.latency.max_ratio_to_stable}x stable + ${e.policy.latency.slack_ms} ms, prediction std >= ${e.policy.predictions.min_std}, PSI <= ${e.policy.predictions.max_psi}; ${e.policy.min_samples} samples minimum; ${e.policy.max_consecutive_failures} failed checks in a row roll back`,
      ];
    }
    case "step":
      return [`[${clock(e.time)}] step ${e.step}/${e.of}: candidate at ${e.percent}%${e.revision === null ? " (dry run: not set)" : ` (revision ${e.revision})`}`];
    case "check":
      return [
        `[${clock(e.time)}] check ${e.check} at ${e.percent}%: ${e.verdict} (window ${e.window_seconds}s, ${e.source})`,
        ...e.gates.map((g) => `    ${formatGateLine(g)}`),
      ];
    case "decision":
      return [`  -> ${e.action}: ${e.reason}`];
    case "warning":
      return [`[${clock(e.time)}] warning: ${e.message}`];
    case "done": {
      const label = e.outcome === "promoted" ? "PROMOTED" : e.outcome === "rolled_back" ? "ROLLED BACK" : "HELD";
      const split = e.split ? ` Split now: stable ${e.split.stable}, candidate ${e.split.candidate} at ${e.split.candidate_percent}% (revision ${e.split.revision}).` : "";
      return [`[${clock(e.time)}] ${label}${e.dry_run ? " (dry run)" : ""} after ${formatDuration(e.elapsed_seconds)}: ${e.reason}.${split} Exit ${e.exit_code}.`];
    }
  }
}

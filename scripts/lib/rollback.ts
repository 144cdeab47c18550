/**
 * `npm run rollback`: candidate to 0 % now, then measure how long until the router serves only
 * the stable version (the v1 guide allows 5 minutes; the target here is 5 seconds).
 */

import type { AdminApi } from "./admin-client.js";
import { waitForStableOnly, type Probe, type WaitForStableOptions, type WaitForStableResult } from "./rollback-probe.js";
import type { CommandSpec } from "./cli.js";
import type { Split } from "./stats.js";
import { ROUTER_ENV, ROUTER_OPTIONS } from "./config.js";

export const ROLLBACK_TARGET_MS = 5000;

export const ROLLBACK_SPEC: CommandSpec = {
  name: "rollback",
  summary: "send the candidate to 0% now, then measure until the router serves only the stable version",
  usage: 'npm run rollback -- --reason "<why>" [options]',
  description: [
    "Calls POST /admin/rollback (shadowing stops too), prints the new revision, then probes the router",
    "with requests carrying random X-Client-Id headers until enough answers in a row come from the stable",
    "version (and keep coming for 2.5 s, longer than a router isolate caches the split), and prints how",
    `long that took from the rollback call (target: ${ROLLBACK_TARGET_MS / 1000} s).`,
  ].join("\n"),
  options: [
    { name: "reason", short: "r", type: "string", placeholder: "<text>", description: "why (recorded in the split's history; required)" },
    ...ROUTER_OPTIONS,
    { name: "timeout", type: "string", placeholder: "<duration>", description: "how long to wait for stable-only answers", defaultText: "30s" },
    { name: "probe-path", type: "string", placeholder: "<path>", description: "path the probe requests", defaultText: "/health" },
    { name: "no-wait", type: "boolean", description: "roll back and exit without measuring" },
    { name: "dry-run", type: "boolean", description: "print what would change, change nothing" },
    { name: "json", type: "boolean", description: "print one JSON object with the result" },
  ],
  env: [
    ...ROUTER_ENV,
  ],
  exitCodes: [
    [0, "rolled back and the router serves only the stable version"],
    [1, "the rollback call failed, or candidate answers were still seen at the timeout"],
    [2, "usage error"],
  ],
  examples: ['npm run rollback -- --reason "green 5xx at 3%"', 'npm run rollback -- --reason "bad model" --json'],
};

export interface RollbackOutcome {
  dry_run: boolean;
  reason: string;
  before: Split;
  after: Split | null;
  rollback_call_ms: number | null;
  /** When POST /admin/rollback was sent (ISO time), and when only stable answered from. */
  rollback_called_at: string | null;
  stable_only_from: string | null;
  measurement: WaitForStableResult | null;
  target_ms: number;
  within_target: boolean | null;
}

export interface RollbackRunOptions {
  admin: AdminApi;
  probe: Probe;
  reason: string;
  dryRun?: boolean;
  wait?: boolean;
  timeoutMs?: number;
  now?: () => number;
  onRound?: WaitForStableOptions["onRound"];
  /** Called as soon as the split is back to 0 %, before the measurement. */
  onRolledBack?: (before: Split, after: Split, callMs: number) => void;
}

export async function runRollback(o: RollbackRunOptions): Promise<RollbackOutcome> {
  const now = o.now ?? Date.now;
  const before = await o.admin.getSplit();
  if (o.dryRun) {
    return { dry_run: true, reason: o.reason, before, after: null, rollback_call_ms: null, rollback_called_at: null, stable_only_from: null, measurement: null, target_ms: ROLLBACK_TARGET_MS, within_target: null };
  }
  const startedAt = now();
  const calledAt = new Date(startedAt).toISOString();
  const after = await o.admin.rollback(o.reason);
  const callMs = now() - startedAt;
  o.onRolledBack?.(before, after, callMs);
  if (o.wait === false) {
    return { dry_run: false, reason: o.reason, before, after, rollback_call_ms: callMs, rollback_called_at: calledAt, stable_only_from: null, measurement: null, target_ms: ROLLBACK_TARGET_MS, within_target: null };
  }
  const measurement = await waitForStableOnly({
    probe: o.probe,
    stable: after.stable,
    candidatePercentBefore: before.candidate_percent,
    startedAt,
    timeoutMs: o.timeoutMs ?? 30_000,
    now,
    ...(o.onRound ? { onRound: o.onRound } : {}),
  });
  return {
    dry_run: false,
    reason: o.reason,
    before,
    after,
    rollback_call_ms: callMs,
    rollback_called_at: calledAt,
    stable_only_from: measurement.ok && measurement.elapsed_ms !== null ? new Date(startedAt + measurement.elapsed_ms).toISOString() : null,
    measurement,
    target_ms: ROLLBACK_TARGET_MS,
    within_target: measurement.ok && measurement.elapsed_ms !== null ? measurement.elapsed_ms <= ROLLBACK_TARGET_MS : false,
  };
}

export function formatRollbackOutcome(r: RollbackOutcome): string[] {
  const b = r.before;
  if (r.dry_run) {
    return [`dry run: would set candidate ${b.candidate} from ${b.candidate_percent}% to 0% (shadow ${b.shadow_percent}% to 0%), stable ${b.stable} keeps all traffic; revision now ${b.revision}. Nothing changed.`];
  }
  const a = r.after!;
  const lines = [`rolled back: candidate ${a.candidate} ${b.candidate_percent}% -> ${a.candidate_percent}%, revision ${b.revision} -> ${a.revision}, reason "${r.reason}" (call took ${r.rollback_call_ms} ms)`];
  const m = r.measurement;
  if (!m) return [...lines, "not measured (--no-wait)"];
  if (m.ok) {
    lines.push(
      `the router serves only ${a.stable}: ${(m.elapsed_ms! / 1000).toFixed(2)} s after the rollback call (${m.streak} answers in a row from ${a.stable}, ${m.needed} needed; ${m.requests} probe requests, ${m.candidate_answers} still from ${a.candidate} before that)`,
      `target ${r.target_ms / 1000} s: ${r.within_target ? "met" : "NOT met"}`,
    );
  } else {
    lines.push(`still saw answers from ${a.candidate} (last at ${((m.last_candidate_ms ?? 0) / 1000).toFixed(2)} s) or too few from ${a.stable} (${m.streak} of ${m.needed} in a row, ${m.failed_requests} failed probes) at the timeout: check the router's split cache (SPLIT_CACHE_MS) and \`npm run status\``);
  }
  return lines;
}

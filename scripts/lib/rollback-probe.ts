/**
 * Measures how long after a rollback the router serves only the stable version: it sends
 * rounds of requests with fresh random `X-Client-Id`s (so they land on random buckets) and reads
 * `X-Flash-Version`. Done when enough answers in a row came from stable that, had the candidate
 * still held its old share, at least one would have reached it with 99.9 % probability, and it
 * stayed so for `confirmMs` (longer than a router isolate keeps its copy of the split, so a copy
 * refreshed from a read that began before the rollback cannot go unnoticed).
 */

import { randomUUID } from "node:crypto";
import type { Color } from "./stats.js";

export interface ProbeAnswer {
  color: Color | null;
  status: number;
  error?: string;
}

export type Probe = (clientId: string) => Promise<ProbeAnswer>;

export interface RouterProbeOptions {
  routerUrl: string;
  /** Any path the router forwards; `/health` needs no API key and runs no model. */
  path?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function routerProbe(options: RouterProbeOptions): Probe {
  const url = `${options.routerUrl.replace(/\/+$/, "")}${options.path ?? "/health"}`;
  const fetchImpl = options.fetch ?? fetch;
  return async (clientId) => {
    try {
      const response = await fetchImpl(url, { headers: { "x-client-id": clientId }, signal: AbortSignal.timeout(options.timeoutMs ?? 2000) });
      await response.arrayBuffer();
      const v = response.headers.get("x-flash-version");
      return { color: v === "blue" || v === "green" ? v : null, status: response.status };
    } catch (error) {
      return { color: null, status: 0, error: error instanceof Error ? error.message : String(error) };
    }
  };
}

/**
 * Answers in a row from stable needed before calling the rollback visible: with the candidate
 * at `candidatePercent`, (1 - p)^n <= 1 - confidence. At least `min` (and at most `max`).
 */
export function requiredStableStreak(candidatePercent: number, confidence = 0.999, min = 20, max = 2000): number {
  const p = candidatePercent / 100;
  if (p <= 0) return min;
  if (p >= 1) return min;
  return Math.min(max, Math.max(min, Math.ceil(Math.log(1 - confidence) / Math.log(1 - p))));
}

export interface WaitForStableOptions {
  probe: Probe;
  stable: Color;
  /** The candidate's share before the rollback (sets how many stable answers in a row prove it). */
  candidatePercentBefore: number;
  /** When the rollback was requested (ms since epoch). */
  startedAt: number;
  timeoutMs?: number;
  /** How long stable-only answers must last after the streak is long enough (default 2500 ms). */
  confirmMs?: number;
  roundSize?: number;
  pauseMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  newClientId?: () => string;
  onRound?: (round: { round: number; elapsed_ms: number; stable: number; candidate: number; failed: number; streak: number; needed: number }) => void;
}

export interface WaitForStableResult {
  ok: boolean;
  /** From the rollback request until the first round of the final all-stable streak. */
  elapsed_ms: number | null;
  requests: number;
  rounds: number;
  candidate_answers: number;
  failed_requests: number;
  streak: number;
  needed: number;
  /** The last time an answer still came from the candidate, relative to startedAt. */
  last_candidate_ms: number | null;
}

export async function waitForStableOnly(o: WaitForStableOptions): Promise<WaitForStableResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const newId = o.newClientId ?? (() => randomUUID());
  const needed = requiredStableStreak(o.candidatePercentBefore);
  const roundSize = o.roundSize ?? 20;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const confirmMs = o.confirmMs ?? 2500;
  let streak = 0;
  let streakStartedAt: number | null = null;
  let requests = 0;
  let rounds = 0;
  let candidateAnswers = 0;
  let failed = 0;
  let lastCandidate: number | null = null;

  while (now() - o.startedAt < timeoutMs) {
    const roundStart = now();
    const answers = await Promise.all(Array.from({ length: roundSize }, () => o.probe(newId())));
    rounds += 1;
    requests += answers.length;
    let stableCount = 0;
    let candidateCount = 0;
    for (const a of answers) {
      if (a.color === o.stable) stableCount += 1;
      else if (a.color !== null) candidateCount += 1;
      else failed += 1;
    }
    candidateAnswers += candidateCount;
    if (candidateCount > 0) {
      streak = 0;
      streakStartedAt = null;
      lastCandidate = now() - o.startedAt;
    } else if (stableCount > 0) {
      streakStartedAt ??= roundStart;
      streak += stableCount;
    }
    o.onRound?.({ round: rounds, elapsed_ms: now() - o.startedAt, stable: stableCount, candidate: candidateCount, failed: answers.length - stableCount - candidateCount, streak, needed });
    if (streak >= needed && streakStartedAt !== null && now() - streakStartedAt >= confirmMs) {
      return { ok: true, elapsed_ms: Math.max(0, streakStartedAt - o.startedAt), requests, rounds, candidate_answers: candidateAnswers, failed_requests: failed, streak, needed, last_candidate_ms: lastCandidate };
    }
    if (o.pauseMs) await sleep(o.pauseMs);
  }
  return { ok: false, elapsed_ms: null, requests, rounds, candidate_answers: candidateAnswers, failed_requests: failed, streak, needed, last_candidate_ms: lastCandidate };
}

/**
 * Fault injection, so the router's fallback, the rollout scripts and demos can make one colour
 * misbehave on purpose. Three vars (docs/api.md, "Fault injection"): FAULT_ERROR_RATE (0..1, share of
 * prediction requests answered 500), FAULT_LATENCY_MS (added delay), FAULT_CONSTANT_PROBABILITY
 * (0..1, every prediction this value). All ignored when FLASH_ENVIRONMENT is "production", so a
 * stray variable can never hurt real traffic. /health is never affected.
 */

import { FaultInjectedError } from "./errors.js";

export interface FaultEnv {
  readonly FLASH_ENVIRONMENT?: string;
  readonly FAULT_ERROR_RATE?: string;
  readonly FAULT_LATENCY_MS?: string;
  readonly FAULT_CONSTANT_PROBABILITY?: string;
}

export interface FaultConfig {
  readonly errorRate: number;
  readonly latencyMs: number;
  readonly constantProbability?: number;
}

const MAX_LATENCY_MS = 30_000;

function parseNumber(raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= min && value <= max ? value : undefined;
}

/** The active faults, or undefined when none are (always undefined in production). */
export function readFaultConfig(env: FaultEnv): FaultConfig | undefined {
  if (env.FLASH_ENVIRONMENT === "production") return undefined;
  const errorRate = parseNumber(env.FAULT_ERROR_RATE, 0, 1) ?? 0;
  const latencyMs = parseNumber(env.FAULT_LATENCY_MS, 0, MAX_LATENCY_MS) ?? 0;
  const constantProbability = parseNumber(env.FAULT_CONSTANT_PROBABILITY, 0, 1);
  if (errorRate === 0 && latencyMs === 0 && constantProbability === undefined) return undefined;
  return { errorRate, latencyMs, ...(constantProbability !== undefined ? { constantProbability } : {}) };
}

/** Delay and maybe fail a prediction request, as configured. */
export async function applyFaults(config: FaultConfig | undefined, random: () => number = Math.random): Promise<void> {
  if (!config) return;
  if (config.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, config.latencyMs));
  if (config.errorRate > 0 && random() < config.errorRate) {
    throw new FaultInjectedError(`injected fault (FAULT_ERROR_RATE=${config.errorRate})`);
  }
}

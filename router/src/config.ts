/**
 * The router's settings, read from its bindings. Bad values fall back to the defaults (and are
 * reported once per isolate) rather than taking the router down: a typo in a var must not stop
 * traffic.
 */
import { splitList } from "./core/access";

export interface RouterConfig {
  readonly fallbackEnabled: boolean;
  readonly upstreamTimeoutMs: number;
  readonly splitCacheMs: number;
  readonly metricsFlushMs: number;
  /** One JSON log line per request (5xx are always logged). */
  readonly requestLogs: boolean;
  readonly adminToken: string | null;
  readonly testerTokens: readonly string[];
  readonly metricsTokens: readonly string[];
  readonly metricsAllowedIps: readonly string[];
}

export const DEFAULTS = {
  upstreamTimeoutMs: 2000,
  splitCacheMs: 2000,
  metricsFlushMs: 3000,
} as const;

const warned = new Set<string>();

function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(JSON.stringify({ level: "warn", component: "router", message }));
}

function intVar(env: Env, name: keyof Env, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    warnOnce(`${String(name)}=${JSON.stringify(raw)} is not an integer from ${min} to ${max}; using ${fallback}`);
    return fallback;
  }
  return value;
}

function boolVar(env: Env, name: keyof Env, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  warnOnce(`${String(name)}=${JSON.stringify(raw)} is not true or false; using ${fallback}`);
  return fallback;
}

const cache = new WeakMap<Env, RouterConfig>();

export function readConfig(env: Env): RouterConfig {
  const hit = cache.get(env);
  if (hit) return hit;
  const config: RouterConfig = {
    fallbackEnabled: boolVar(env, "FALLBACK_ENABLED", true),
    upstreamTimeoutMs: intVar(env, "UPSTREAM_TIMEOUT_MS", DEFAULTS.upstreamTimeoutMs, 1, 600_000),
    splitCacheMs: intVar(env, "SPLIT_CACHE_MS", DEFAULTS.splitCacheMs, 0, 60_000),
    metricsFlushMs: intVar(env, "METRICS_FLUSH_MS", DEFAULTS.metricsFlushMs, 0, 600_000),
    requestLogs: boolVar(env, "REQUEST_LOGS", true),
    adminToken: env.ADMIN_TOKEN && env.ADMIN_TOKEN.length > 0 ? env.ADMIN_TOKEN : null,
    testerTokens: splitList(env.TESTER_TOKENS),
    metricsTokens: splitList(env.METRICS_TOKEN),
    metricsAllowedIps: splitList(env.METRICS_ALLOWED_IPS),
  };
  cache.set(env, config);
  return config;
}

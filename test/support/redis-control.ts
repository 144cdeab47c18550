/**
 * For tests inside workerd that need Redis to fail: `startPrivateRedis()` asks the test run's
 * redis lab (tools/upstash-bridge/redis-lab.ts) for a redis-server + bridge of this test's own, which it
 * may stop, start again or pause (hung Redis) without disturbing other test files.
 * Test tooling only: no Worker code knows about any of this.
 */

import { inject } from "vitest";
import type { LabStackInfo } from "../../tools/upstash-bridge/vitest-context.js";

export type RedisControlAction = "stop" | "start" | "pause" | "resume";

export interface PrivateRedis {
  readonly url: string;
  readonly token: string;
  /** UPSTASH_REDIS_REST_URL/TOKEN for a Worker env. */
  readonly env: { readonly UPSTASH_REDIS_REST_URL: string; readonly UPSTASH_REDIS_REST_TOKEN: string };
  control(action: RedisControlAction): Promise<void>;
  dispose(): Promise<void>;
}

async function call(url: string, token: string, method: string): Promise<unknown> {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}` } });
  const body: unknown = await res.json();
  if (!res.ok) throw new Error(`${method} ${url} failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const lab = inject("redisLab");
  const info = (await call(`${lab.url}/stacks`, lab.token, "POST")) as LabStackInfo;
  return {
    url: info.url,
    token: info.token,
    env: { UPSTASH_REDIS_REST_URL: info.url, UPSTASH_REDIS_REST_TOKEN: info.token },
    async control(action) {
      await call(`${info.control.url}/${action}`, info.control.token, "POST");
    },
    async dispose() {
      await call(`${lab.url}/stacks/${info.id}`, lab.token, "DELETE");
    },
  };
}

/** The Upstash settings of the run's shared Redis, as Worker env vars. */
export function sharedUpstashEnv(): { UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string } {
  const { url, token } = inject("upstash");
  return { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token };
}

/**
 * vitest globalSetup for the worker project: starts a real redis-server (unix socket, no
 * persistence) behind the Upstash REST bridge once per run, plus the "redis lab" that hands out
 * private Redis instances a test may stop and restart, and stops all of them by PID at the end.
 *
 * In a test (inside workerd): `inject("upstash")` is `{ url, token }` of the shared Redis (use it
 * as UPSTASH_REDIS_REST_URL/TOKEN); `startPrivateRedis()` from test/support/redis-control.ts
 * gives a Redis of your own with stop/start/pause/resume.
 */

import type { TestProject } from "vitest/node";
import { startRedisLab } from "./redis-lab.js";
import { startRedisStack } from "./stack.js";
import type {} from "./vitest-context.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (message: string) => console.error(`[redis] ${message}`);
  const stack = await startRedisStack({ log });
  const lab = await startRedisLab();
  project.provide("upstash", { url: stack.url, token: stack.token });
  project.provide("redisLab", { url: lab.url, token: lab.token });
  return async () => {
    await lab.close();
    await stack.stop();
  };
}

/**
 * The Worker the cache benchmark runs on workerd (bundled by scripts/bench/cache.ts): the real
 * PredictionCache code against the bridge, timing each cache call inside the isolate.
 *
 *   GET /?backend=upstash|memory&op=get&key=K         one lookup       -> {status, ms}
 *   GET /?backend=...&op=set&key=K                    one write        -> {status, ms}
 *   GET /?backend=...&op=getMany&key=K&n=N            N keys, 1 MGET   -> {statuses, ms}
 *   GET /?backend=...&op=mix&key=K                    lookup, write on a miss (the /predict pattern)
 */

import { getPredictionCache, MemoryPredictionCache, type CachedPrediction } from "../../../worker/src/cache/index.js";

interface BenchEnv {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  VALUE_JSON: string;
}

// One memory cache per isolate, as the Worker keeps it.
const memory = new MemoryPredictionCache();

export default {
  async fetch(request: Request, env: BenchEnv, ctx: { waitUntil(promise: Promise<unknown>): void }): Promise<Response> {
    const url = new URL(request.url);
    const cache = url.searchParams.get("backend") === "memory" ? memory : getPredictionCache(env);
    const key = url.searchParams.get("key") ?? "k";
    const value = JSON.parse(env.VALUE_JSON) as CachedPrediction;
    const op = url.searchParams.get("op");
    const started = performance.now();
    let body: Record<string, unknown>;
    if (op === "get") {
      const lookup = await cache.get(key);
      body = { status: lookup.status, ...(lookup.status === "BYPASS" ? { reason: lookup.reason, detail: lookup.detail } : {}) };
    } else if (op === "set") {
      const write = await cache.set(key, value);
      body = { status: write.status, ...(write.status === "BYPASS" ? { reason: write.reason, detail: write.detail } : {}) };
    } else if (op === "getMany") {
      const n = Number(url.searchParams.get("n") ?? "100");
      const lookups = await cache.getMany(Array.from({ length: n }, (_, i) => `${key}:${i}`));
      body = { statuses: lookups.map((l) => l.status) };
    } else if (op === "mix") {
      const lookup = await cache.get(key);
      if (lookup.status === "MISS") ctx.waitUntil(cache.set(key, value));
      body = { status: lookup.status };
    } else {
      return new Response("unknown op", { status: 400 });
    }
    return Response.json({ ...body, ms: performance.now() - started });
  },
};

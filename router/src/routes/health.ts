/** GET /router/health: the router itself (the API's own /health is proxied like any path). */
import { Hono } from "hono";
import { readConfig } from "../config";
import type { AppEnv } from "../types";

export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get("/router/health", async (c) => {
  const split = await c.var.runtime.split.get(c.env, readConfig(c.env).splitCacheMs);
  return c.json({ status: "ok", stable: split.stable, candidate: split.candidate, candidate_percent: split.candidate_percent, revision: split.revision });
});

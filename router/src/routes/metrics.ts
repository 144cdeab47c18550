/**
 * GET /metrics for Prometheus: the admin token, a scrape-only METRICS_TOKEN, or an address in
 * METRICS_ALLOWED_IPS (CF-Connecting-IP). Counters come from the metrics stores' totals, the
 * prediction gauges from the last five minutes, flash_up from a /health probe of each version.
 */
import { Hono } from "hono";
import { bearerOf, constantTimeEqual, ipAllowed, matchesAnyToken } from "../core/access";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../core/prometheus";
import { readConfig } from "../config";
import { splitControl, versionMetrics } from "../durable/stubs";
import { RequestError } from "../errors";
import { flushMetrics } from "../metrics/flush";
import type { AppEnv } from "../types";
import { probeBoth } from "../upstream";

const RECENT_SECONDS = 300;
const HEALTH_TIMEOUT_MS = 1000;

export const metricsRoutes = new Hono<AppEnv>();

metricsRoutes.get("/metrics", async (c) => {
  const config = readConfig(c.env);
  const token = bearerOf(c.req.header("authorization"));
  const allowed =
    (token !== null && config.adminToken !== null && constantTimeEqual(token, config.adminToken)) ||
    matchesAnyToken(token, config.metricsTokens) ||
    ipAllowed(c.req.header("cf-connecting-ip") ?? null, config.metricsAllowedIps);
  if (!allowed) {
    c.header("WWW-Authenticate", 'Bearer realm="flash-metrics"');
    throw new RequestError(401, "unauthorized", "scrape /metrics with Authorization: Bearer <ADMIN_TOKEN or METRICS_TOKEN>, or from an address in METRICS_ALLOWED_IPS", {
      field: "Authorization",
    });
  }
  await flushMetrics(c.var.runtime, c.env);
  const [blue, green, split, health] = await Promise.all([
    versionMetrics(c.env, "blue").read(RECENT_SECONDS),
    versionMetrics(c.env, "green").read(RECENT_SECONDS),
    splitControl(c.env).getSplit(),
    probeBoth(c.env, HEALTH_TIMEOUT_MS),
  ]);
  const body = renderPrometheus({
    totals: { blue: blue.totals, green: green.totals },
    recent: { blue: blue.window, green: green.window },
    split,
    up: { blue: health.blue.up, green: health.green.up },
    models: { blue: health.blue.model_version, green: health.green.model_version },
  });
  return c.body(body, 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
});

/**
 * The admin API (bearer ADMIN_TOKEN): read and change the split, roll back, promote, read the
 * change history and each version's statistics over a window.
 */
import { Hono, type Context } from "hono";
import { bearerOf, constantTimeEqual } from "../core/access";
import { COLORS, parseActionInput, parseSplitUpdate, type ChangeResult, type Parsed } from "../core/split";
import { toVersionStats } from "../core/stats";
import { readConfig } from "../config";
import { MAX_WINDOW_SECONDS } from "../durable/version-metrics";
import { splitControl, versionMetrics } from "../durable/stubs";
import { RequestError, errorBody } from "../errors";
import { flushMetrics } from "../metrics/flush";
import { probeBoth } from "../upstream";
import type { AppEnv } from "../types";

export const DEFAULT_WINDOW_SECONDS = 300;
const MIN_WINDOW_SECONDS = 10;

export const adminRoutes = new Hono<AppEnv>();

adminRoutes.use("*", async (c, next) => {
  const { adminToken } = readConfig(c.env);
  if (adminToken === null) {
    throw new RequestError(503, "admin_disabled", "the admin API is off: set the ADMIN_TOKEN secret (wrangler secret put ADMIN_TOKEN -c router/wrangler.toml)");
  }
  const presented = bearerOf(c.req.header("authorization"));
  if (presented === null) {
    c.header("WWW-Authenticate", 'Bearer realm="flash-admin"');
    throw new RequestError(401, "unauthorized", "send the admin token as Authorization: Bearer <ADMIN_TOKEN>", { field: "Authorization" });
  }
  if (!constantTimeEqual(presented, adminToken)) {
    throw new RequestError(403, "forbidden", "the admin token is wrong", { field: "Authorization" });
  }
  await next();
});

async function readJson(c: Context<AppEnv>, optional: boolean): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") {
    if (optional) return undefined;
    throw new RequestError(400, "invalid_body", "the body is empty: send a JSON object", { field: "body" });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, "invalid_json", `the body is not JSON: ${(error as Error).message}`, { field: "body" });
  }
}

function valueOf<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new RequestError(400, "invalid_field", parsed.problem.message, { field: parsed.problem.field });
  return parsed.value;
}

/** Who is changing the split: the body's updated_by, else the X-Flash-Actor header, else "admin". */
function withActor<T extends { updated_by?: string }>(c: Context<AppEnv>, input: T): T {
  if (input.updated_by !== undefined) return input;
  const actor = c.req.header("x-flash-actor")?.trim();
  return actor && actor.length <= 100 ? { ...input, updated_by: actor } : input;
}

function changed(c: Context<AppEnv>, result: ChangeResult): Response {
  if (!result.ok) {
    return c.json({ ...errorBody(409, "conflict", result.message), split: result.current }, 409);
  }
  c.var.runtime.split.set(result.record.split);
  return c.json(result.record.split);
}

/** How long the admin reads wait for each colour's /health to learn the model it serves. */
const MODEL_PROBE_TIMEOUT_MS = 1000;

adminRoutes.get("/split", async (c) => {
  const [split, health] = await Promise.all([splitControl(c.env).getSplit(), probeBoth(c.env, MODEL_PROBE_TIMEOUT_MS)]);
  c.var.runtime.split.set(split);
  // `models` is read live from each colour, not stored: a redeploy changes it without a split change.
  return c.json({ ...split, models: { blue: health.blue.model_version, green: health.green.model_version } });
});

adminRoutes.put("/split", async (c) => {
  const update = withActor(c, valueOf(parseSplitUpdate(await readJson(c, false))));
  return changed(c, await splitControl(c.env).update(update));
});

adminRoutes.post("/rollback", async (c) => {
  const input = withActor(c, valueOf(parseActionInput(await readJson(c, true), "rollback")));
  return changed(c, await splitControl(c.env).rollback(input));
});

adminRoutes.post("/promote", async (c) => {
  const input = withActor(c, valueOf(parseActionInput(await readJson(c, true), "promote")));
  return changed(c, await splitControl(c.env).promote(input));
});

adminRoutes.get("/history", async (c) => {
  const raw = c.req.query("limit");
  const limit = raw === undefined ? 100 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new RequestError(400, "invalid_query", "limit must be an integer from 1 to 100", { field: "limit" });
  }
  return c.json({ changes: await splitControl(c.env).getHistory(limit) });
});

/** The `window` query parameter in seconds (default 300). */
export function parseWindow(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_WINDOW_SECONDS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < MIN_WINDOW_SECONDS || seconds > MAX_WINDOW_SECONDS) {
    throw new RequestError(400, "invalid_query", `window must be a whole number of seconds from ${MIN_WINDOW_SECONDS} to ${MAX_WINDOW_SECONDS}`, {
      field: "window",
    });
  }
  return seconds;
}

adminRoutes.get("/stats", async (c) => {
  const windowSeconds = parseWindow(c.req.query("window"));
  // This isolate's own recent requests count too, not only what earlier flushes delivered.
  await flushMetrics(c.var.runtime, c.env);
  const [blue, green, split, health] = await Promise.all([
    versionMetrics(c.env, "blue").read(windowSeconds),
    versionMetrics(c.env, "green").read(windowSeconds),
    splitControl(c.env).getSplit(),
    probeBoth(c.env, MODEL_PROBE_TIMEOUT_MS),
  ]);
  const readings = { blue, green };
  return c.json({
    window_seconds: windowSeconds,
    generated_at: new Date().toISOString(),
    versions: Object.fromEntries(COLORS.map((color) => [color, toVersionStats(readings[color].window)])),
    split: { ...split, models: { blue: health.blue.model_version, green: health.green.model_version } },
  });
});

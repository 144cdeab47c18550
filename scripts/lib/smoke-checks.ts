/**
 * The v1 guide's staging validation ("FLASH_API_URL=https://staging... python3 test_improvements.py"),
 * against any deployed URL: health, the validation case, the response contract, a bad input,
 * a missing key, and a request forced to each colour. Each check says PASS, FAIL or SKIP (with
 * why), never silently nothing.
 */

import type { CommandSpec } from "./cli.js";
import { API_OPTIONS } from "./config.js";

export const VALIDATION_CASE = { total_capital_raised_usd: 1000000, funding_stage: "seed" } as const;

export const SMOKE_SPEC: CommandSpec = {
  name: "smoke",
  summary: "validate a deployed FLASH API (staging, a colour, or the router) like the v1 guide's staging checks",
  usage: "FLASH_API_URL=<url> npm run smoke -- [options]",
  description: [
    "Checks: GET /health; the v1 validation case {\"total_capital_raised_usd\":1000000,\"funding_stage\":\"seed\"}",
    "(0 <= p <= 1, lower <= p <= upper); the response contract; a bad input answered 4xx naming the field;",
    "a missing key answered 401; and, behind the router, a request forced to each colour with",
    "X-Flash-Version (needs an admin or tester token).",
  ].join("\n"),
  options: [
    ...API_OPTIONS,
    { name: "override-token", type: "string", placeholder: "<token>", description: "admin or tester token for X-Flash-Version", defaultText: "$FLASH_OVERRIDE_TOKEN, $ADMIN_TOKEN, or the dev admin token for a local URL" },
    { name: "json", type: "boolean", description: "print the checks as JSON" },
  ],
  env: [
    ["FLASH_API_URL", "base URL to check (router, staging or a colour's workers.dev URL)"],
    ["FLASH_API_KEY", "API key for /predict"],
    ["FLASH_OVERRIDE_TOKEN", "tester or admin token allowed to force X-Flash-Version"],
  ],
  exitCodes: [
    [0, "every check passed (skipped ones say why)"],
    [1, "a check failed"],
    [2, "usage error"],
  ],
  examples: ["npm run smoke", "FLASH_API_URL=https://flash-api-staging.example.workers.dev FLASH_API_KEY=... npm run smoke"],
};

export type CheckStatus = "PASS" | "FAIL" | "SKIP";

export interface SmokeCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  ms: number;
}

const VERDICTS = ["STRONG PASS", "PASS", "CONDITIONAL PASS", "CONDITIONAL FAIL", "FAIL", "STRONG FAIL"];
const UNCERTAINTY = ["low", "moderate", "high", "very_high"];
const PILLARS = ["capital", "advantage", "market", "people", "product"];

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const in01 = (v: unknown) => isNum(v) && v >= 0 && v <= 1;

/**
 * Problems with a /predict answer against the API's contract (docs/api.md); empty when it holds.
 * Pure, so it is tested on its own.
 */
export function checkPredictionContract(body: unknown): string[] {
  if (!isObj(body)) return ["the answer is not a JSON object"];
  const problems: string[] = [];
  const need = (ok: boolean, text: string) => {
    if (!ok) problems.push(text);
  };
  need(typeof body.prediction_id === "string" && body.prediction_id.length > 0, "prediction_id must be a non-empty string");
  need(in01(body.success_probability), "success_probability must be a number in 0..1");
  const ci = body.confidence_interval;
  if (!isObj(ci)) problems.push("confidence_interval must be an object {lower, upper, width}");
  else {
    need(in01(ci.lower) && in01(ci.upper) && isNum(ci.width), "confidence_interval.lower/upper must be in 0..1 and width a number");
    if (isNum(ci.lower) && isNum(ci.upper) && isNum(body.success_probability)) {
      need(ci.lower <= body.success_probability && body.success_probability <= ci.upper, `confidence_interval must contain the probability (${ci.lower} <= ${body.success_probability} <= ${ci.upper})`);
      if (isNum(ci.width)) need(Math.abs(ci.upper - ci.lower - ci.width) < 1e-6, "confidence_interval.width must equal upper - lower");
    }
  }
  need(isNum(body.confidence_score), "confidence_score must be a number");
  need(typeof body.uncertainty_level === "string" && UNCERTAINTY.includes(body.uncertainty_level), `uncertainty_level must be one of ${UNCERTAINTY.join(", ")}`);
  need(typeof body.verdict === "string" && VERDICTS.includes(body.verdict), `verdict must be one of ${VERDICTS.join(", ")}`);
  need(isNum(body.verdict_confidence), "verdict_confidence must be a number");
  const pillars = body.pillar_scores;
  need(isObj(pillars) && PILLARS.every((p) => in01(pillars[p])), `pillar_scores must have ${PILLARS.join(", ")} in 0..1`);
  need(Array.isArray(body.factors), "factors must be a list");
  need(Array.isArray(body.flags) || isObj(body.flags), "flags must be present");
  need(Array.isArray(body.warnings), "warnings must be a list");
  need(in01(body.data_completeness), "data_completeness must be in 0..1");
  const model = body.model;
  need(isObj(model) && typeof model.version === "string" && typeof model.sha256 === "string", "model must be {version, sha256}");
  need(isNum(body.processing_time_ms), "processing_time_ms must be a number");
  need(typeof body.timestamp === "string" && !Number.isNaN(Date.parse(body.timestamp)), "timestamp must be an ISO date");
  return problems;
}

export interface SmokeOptions {
  url: string;
  apiKey: string;
  overrideToken?: string | undefined;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** /health must report this model version (a deploy's check that the bundle serves what it pins). */
  expectedModelVersion?: string;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function runSmoke(o: SmokeOptions): Promise<SmokeCheck[]> {
  const base = o.url.replace(/\/+$/, "");
  const fetchImpl = o.fetch ?? fetch;
  const call = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const response = await fetchImpl(`${base}${path}`, { ...init, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
  const predict = (body: unknown, headers: Record<string, string> = {}, withKey = true) =>
    call("/predict", {
      method: "POST",
      headers: { "content-type": "application/json", ...(withKey ? { authorization: `Bearer ${o.apiKey}` } : {}), ...headers },
      body: JSON.stringify(body),
    });

  const checks: SmokeCheck[] = [];
  const check = async (name: string, fn: () => Promise<[CheckStatus, string]>) => {
    const t0 = performance.now();
    let status: CheckStatus;
    let detail: string;
    try {
      [status, detail] = await fn();
    } catch (error) {
      status = "FAIL";
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      detail = `request failed: ${cause} (is ${base} up?)`;
    }
    checks.push({ name, status, detail, ms: Math.round(performance.now() - t0) });
  };

  await check("health", async () => {
    const a = await call("/health");
    if (a.status !== 200) return ["FAIL", `GET /health answered ${a.status}: ${a.text.slice(0, 200)}`];
    const s = isObj(a.json) ? a.json : {};
    const state = typeof s.status === "string" ? s.status : "?";
    const version = isObj(s.model) && typeof s.model.version === "string" ? s.model.version : null;
    if (o.expectedModelVersion !== undefined && version !== o.expectedModelVersion) {
      return ["FAIL", `GET /health reports model ${version ?? "none"}, expected ${o.expectedModelVersion}`];
    }
    return ["PASS", `200, status ${state}${version ? `, model ${version}` : ""}${typeof s.color === "string" ? `, colour ${s.color}` : ""}`];
  });

  let validation: Answer | undefined;
  await check("validation case", async () => {
    validation = await predict(VALIDATION_CASE);
    if (validation.status !== 200) return ["FAIL", `POST /predict ${JSON.stringify(VALIDATION_CASE)} answered ${validation.status}: ${validation.text.slice(0, 200)}`];
    const b = isObj(validation.json) ? validation.json : {};
    const p = b.success_probability;
    const ci = isObj(b.confidence_interval) ? b.confidence_interval : {};
    if (!in01(p)) return ["FAIL", `success_probability ${JSON.stringify(p)} is not in 0..1`];
    if (!(isNum(ci.lower) && isNum(ci.upper) && ci.lower <= (p as number) && (p as number) <= ci.upper)) {
      return ["FAIL", `confidence interval ${JSON.stringify(ci)} does not contain p=${p as number}`];
    }
    return ["PASS", `p=${(p as number).toFixed(4)} in [${ci.lower}, ${ci.upper}], verdict ${String(b.verdict)}`];
  });

  await check("response contract", async () => {
    if (!validation || validation.status !== 200) return ["FAIL", "no 200 answer to check (see the validation case)"];
    const problems = checkPredictionContract(validation.json);
    const cache = validation.headers.get("x-cache");
    if (!cache || !["HIT", "MISS", "BYPASS"].includes(cache)) problems.push(`X-Cache header must be HIT, MISS or BYPASS (got ${JSON.stringify(cache)})`);
    return problems.length === 0 ? ["PASS", `every field present and consistent, X-Cache ${cache}`] : ["FAIL", problems.join("; ")];
  });

  await check("bad input", async () => {
    const a = await predict({ total_capital_raised_usd: "a lot", funding_stage: "seed" });
    if (a.status < 400 || a.status >= 500) return ["FAIL", `a string for total_capital_raised_usd answered ${a.status}, expected 4xx`];
    if (!a.text.includes("total_capital_raised_usd")) return ["FAIL", `${a.status} but the error does not name the field: ${a.text.slice(0, 200)}`];
    return ["PASS", `${a.status}, names total_capital_raised_usd`];
  });

  await check("missing key", async () => {
    const a = await predict(VALIDATION_CASE, {}, false);
    if (a.status !== 401) return ["FAIL", `no Authorization header answered ${a.status}, expected 401`];
    const challenge = a.headers.get("www-authenticate");
    return challenge ? ["PASS", `401 with WWW-Authenticate: ${challenge}`] : ["FAIL", "401 without a WWW-Authenticate header"];
  });

  for (const color of ["blue", "green"] as const) {
    await check(`forced to ${color}`, async () => {
      if (!o.overrideToken) return ["SKIP", "no override token: set FLASH_OVERRIDE_TOKEN (a tester token) or ADMIN_TOKEN to test each colour"];
      const a = await predict(VALIDATION_CASE, { "x-flash-version": color, "x-flash-override-token": o.overrideToken });
      const served = a.headers.get("x-flash-version");
      if (served === null) return ["SKIP", `${base} answers without X-Flash-Version: it is not behind the router (a single deployment such as staging)`];
      if (a.status !== 200) return ["FAIL", `forced to ${color} answered ${a.status}: ${a.text.slice(0, 200)}`];
      if (served !== color) return ["FAIL", `asked for ${color}, served by ${served}`];
      const b = isObj(a.json) ? a.json : {};
      const model = isObj(b.model) ? String(b.model.version) : "?";
      return ["PASS", `served by ${color} (model ${model})`];
    });
  }
  return checks;
}

export function formatSmoke(url: string, checks: readonly SmokeCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map((c) => `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${String(c.ms).padStart(5)} ms  ${c.detail}`);
  const failed = checks.filter((c) => c.status === "FAIL").length;
  const skipped = checks.filter((c) => c.status === "SKIP").length;
  return [`smoke checks against ${url}:`, ...lines, `${checks.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped`].join("\n");
}

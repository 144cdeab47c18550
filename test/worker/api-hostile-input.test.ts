/**
 * Hostile input, proven: fast-check sends 10,000 generated bodies to POST /predict and
 * POST /predict/batch of the deployed entry point (in process, the real model in
 * onnxruntime-web): random JSON, wrong types, boundary and just-outside values, NaN and Infinity
 * spelled in the JSON text, huge numbers, -0, deep nesting, long strings, `__proto__` and
 * `constructor` keys, invalid UTF-8 bytes, truncated JSON, wrong content types. Every answer must
 * be a 200 with a sane prediction or a 4xx JSON error naming the field and rule of each problem;
 * never a 5xx, never a request that does not answer within its time limit.
 *
 * Most requests use the embedded cache (fast); a share goes through the run's real Redis.
 */

import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { FEATURES, type Feature } from "../../core/schema.js";
import { sharedUpstashEnv } from "../support/redis-control.js";
import { BASE, fetchDirect, withAuth } from "./api-helpers.js";

/** A request that has not answered by then counts as hung (generous: this machine is loaded). */
const REQUEST_TIMEOUT_MS = 15_000;
const RUNS = { predict: 6_500, batch: 3_000, predictRedis: 500 } as const;

// ---------------------------------------------------------------------------------------------
// JSON text with full control: numbers are written as raw text (so NaN, Infinity, -0, 1e400 and
// malformed numbers can be spelled), objects are entry lists (so "__proto__" is a plain key).

class Raw {
  constructor(readonly text: string) {}
}
class Obj {
  constructor(readonly entries: readonly (readonly [string, Json])[]) {}
}
type Json = null | boolean | string | Raw | Obj | readonly Json[];

function render(value: Json): string {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Raw) return value.text;
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${render(v)}`).join(",")}}`;
  return `[${value.map(render).join(",")}]`;
}

function numberText(n: number): Raw {
  return new Raw(Object.is(n, -0) ? "-0" : JSON.stringify(n));
}

const SPECIAL_NUMBERS = [
  "NaN", "-NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "1e308", "-1e308", "-0", "-0.0", "0e0",
  "123456789012345678901234567890", "0.1e1", "5e-324", "9007199254740993", "01", "+1", ".5", "1.", "1e", "0x10", "1_000",
];
const arbSpecialNumber = fc.constantFrom(...SPECIAL_NUMBERS).map((t) => new Raw(t));
const arbAnyNumber: fc.Arbitrary<Json> = fc.oneof(
  fc.double().filter(Number.isFinite).map(numberText),
  fc.integer().map(numberText),
  arbSpecialNumber,
);

const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"];
const ODD_KEYS = ["", " ", "startup_name", "hq_location", "vertical", "total_capital_raised", "Runway_Months", "runway-months", "\u0000", "\ud800", "é"];

const arbLongString = fc.integer({ min: 200, max: 70_000 }).chain((n) => fc.constantFrom("x", "é", "\ud83d\ude80", "\\", '"').map((c) => c.repeat(Math.ceil(n / c.length))));
const arbString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 1, arbitrary: arbLongString },
  { weight: 1, arbitrary: fc.constantFrom("NaN", "Infinity", "-0", "1e400", "null", "true", "{}", "12", " 12 ") },
);

/** Random JSON of bounded size, with every kind of scalar above. */
const arbJson: fc.Arbitrary<Json> = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    arbString,
    arbAnyNumber,
    fc.array(tie("json"), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...PROTO_KEYS)), tie("json")), { maxLength: 4 }).map((e) => new Obj(e)),
  ),
})).json;

/** Nesting far deeper than any real body, as raw text (a depth a recursive walker would not survive). */
const arbDeep: fc.Arbitrary<Raw> = fc
  .tuple(fc.integer({ min: 50, max: 30_000 }), fc.constantFrom("[", '{"a":'))
  .map(([depth, open]) => new Raw(open.repeat(depth) + "1" + (open === "[" ? "]" : "}").repeat(depth)));

/** Values for one feature: mostly valid (so many bodies get far enough to be predicted), then boundary, just outside, wrong. */
function arbFeatureValue(feature: Feature): fc.Arbitrary<Json> {
  const wrong = fc.oneof(arbString.map((s): Json => s), fc.boolean(), arbSpecialNumber, fc.constant([] as Json[]), fc.constant(new Obj([])), arbDeep);
  switch (feature.type) {
    case "number":
    case "integer": {
      const { min, max } = feature;
      const step = feature.type === "integer" ? 1 : Math.max(Number.EPSILON, Math.abs(max) * 1e-12);
      const valid =
        feature.type === "integer"
          ? fc.integer({ min, max: Math.min(max, 2 ** 31 - 1) })
          : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
      const boundary = fc.constantFrom(min, max, min - step, max + step, min - 1, max + 1, max * 10, -max, 0, -0, min + 0.5);
      return fc.oneof(
        { weight: 12, arbitrary: valid.map(numberText) },
        { weight: 2, arbitrary: boundary.map(numberText) },
        { weight: 1, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: valid.map((n) => String(n)) },
        { weight: 1, arbitrary: wrong },
      );
    }
    case "boolean":
      return fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom<Json>(true, false, new Raw("0"), new Raw("1"), "yes", "no", "TRUE", " false ") },
        { weight: 2, arbitrary: fc.constantFrom<Json>(new Raw("2"), new Raw("-0"), new Raw("0.5"), "maybe", "", null) },
        { weight: 1, arbitrary: wrong },
      );
    case "category": {
      const spelled = fc.constantFrom(...feature.categories).chain((c) =>
        fc.constantFrom(c, c.toUpperCase(), c.replace(/_/g, " "), c.replace(/_/g, "-"), ` ${c} `),
      );
      return fc.oneof(
        { weight: 12, arbitrary: spelled },
        { weight: 2, arbitrary: fc.constantFrom<Json>("unknown", "series_z", "SaaS!", "", null, new Raw("3")) },
        { weight: 1, arbitrary: wrong },
      );
    }
  }
}

const arbFeatureEntry: fc.Arbitrary<readonly [string, Json]> = fc
  .constantFrom(...FEATURES)
  .chain((f) => arbFeatureValue(f).map((v) => [f.name, v] as const));
const arbOddEntry: fc.Arbitrary<readonly [string, Json]> = fc.tuple(
  fc.oneof(fc.constantFrom(...PROTO_KEYS, ...ODD_KEYS), fc.string({ maxLength: 40 }), arbLongString.map((s) => s.slice(0, 5_000))),
  fc.oneof(arbJson, arbDeep),
);

/** A startup object: feature entries, sometimes odd keys, duplicates and prototype keys. */
const arbStartup: fc.Arbitrary<Obj> = fc
  .array(fc.oneof({ weight: 8, arbitrary: arbFeatureEntry }, { weight: 1, arbitrary: arbOddEntry }), { maxLength: 14 })
  .map((entries) => new Obj(entries));

const arbPredictJson: fc.Arbitrary<Json> = fc.oneof(
  { weight: 8, arbitrary: arbStartup },
  { weight: 2, arbitrary: arbJson },
  { weight: 1, arbitrary: arbDeep },
);

const arbBatchJson: fc.Arbitrary<Json> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.oneof({ weight: 6, arbitrary: arbStartup }, { weight: 1, arbitrary: arbJson }), { maxLength: 8 }).map((s) => new Obj([["startups", s]])) },
  { weight: 2, arbitrary: fc.array(arbStartup, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 99, max: 102 }).map((n) => new Obj([["startups", Array.from({ length: n }, () => new Obj([]))]])) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("startups", "Startups", "__proto__", "items"), arbJson).map(([k, v]) => new Obj([[k, v]])) },
  { weight: 1, arbitrary: arbJson },
  { weight: 1, arbitrary: arbDeep },
);

// ---------------------------------------------------------------------------------------------
// What goes on the wire: the JSON text as is, truncated, with invalid UTF-8, with junk around it;
// mostly as application/json, sometimes not.

type Mutation =
  | { kind: "as_is" }
  | { kind: "truncate"; at: number }
  | { kind: "bad_utf8"; at: number; bytes: number[] }
  | { kind: "junk"; prefix: string; suffix: string }
  | { kind: "random_bytes"; bytes: number[] };

const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ kind: "as_is" } as const) },
  { weight: 2, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((at) => ({ kind: "truncate", at }) as const) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.oneof(
          fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 4 }),
          fc.constantFrom([0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xff, 0xfe]),
        ),
      )
      .map(([at, bytes]): Mutation => ({ kind: "bad_utf8", at, bytes: [...bytes] })),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("", "\ufeff", " \n", "x", "//"), fc.constantFrom("", " ", "}", ",", "\u0000", "{}", "]")).map(([prefix, suffix]) => ({ kind: "junk", prefix, suffix }) as const) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }).map((bytes) => ({ kind: "random_bytes", bytes }) as const) },
);

const arbContentType = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8", "Application/JSON", "application/problem+json") },
  { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "", "json", "application/jsonx", "multipart/form-data; boundary=x") },
);

const encoder = new TextEncoder();

function toBytes(text: string, mutation: Mutation): Uint8Array {
  switch (mutation.kind) {
    case "as_is":
      return encoder.encode(text);
    case "truncate":
      return encoder.encode(text.slice(0, Math.floor(mutation.at * text.length)));
    case "junk":
      return encoder.encode(mutation.prefix + text + mutation.suffix);
    case "random_bytes":
      return Uint8Array.from(mutation.bytes);
    case "bad_utf8": {
      const bytes = encoder.encode(text);
      const at = Math.floor(mutation.at * bytes.length);
      const out = new Uint8Array(bytes.length + mutation.bytes.length);
      out.set(bytes.subarray(0, at));
      out.set(mutation.bytes, at);
      out.set(bytes.subarray(at), at + mutation.bytes.length);
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sending and judging one request.

const statuses = new Map<number, number>();
let sent = 0;

async function send(path: string, body: Uint8Array, contentType: string, strict: boolean, vars: Record<string, unknown>): Promise<Response> {
  const headers = withAuth(contentType === "" ? {} : { "content-type": contentType });
  const request = new Request(`${BASE}${path}${strict ? "?strict=true" : ""}`, { method: "POST", headers, body });
  let timer: ReturnType<typeof setTimeout> | null = null;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
  });
  try {
    return await Promise.race([fetchDirect(request, vars), hung]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

function checkPrediction(p: Record<string, any>, where: string): void {
  const probability = p.success_probability;
  if (!(typeof probability === "number" && probability >= 0 && probability <= 1)) throw new Error(`${where}: success_probability ${probability}`);
  const { lower, upper } = p.confidence_interval ?? {};
  if (!(lower <= probability && probability <= upper)) throw new Error(`${where}: interval [${lower}, ${upper}] around ${probability}`);
  if (!["HIT", "MISS", "BYPASS"].includes(p.cache)) throw new Error(`${where}: cache ${p.cache}`);
  if (typeof p.prediction_id !== "string") throw new Error(`${where}: no prediction_id`);
}

function checkIssues(error: Record<string, any>, where: string): void {
  const issues = error.issues;
  if (!Array.isArray(issues) || issues.length === 0) throw new Error(`${where}: a 4xx must list the problems: ${JSON.stringify(error).slice(0, 300)}`);
  for (const issue of issues) {
    if (typeof issue.field !== "string" || typeof issue.rule !== "string" || typeof issue.message !== "string" || issue.message === "") {
      throw new Error(`${where}: an issue must name its field and rule: ${JSON.stringify(issue).slice(0, 300)}`);
    }
  }
}

/** 200 with sane predictions, or a 4xx JSON error naming every problem. Throws otherwise. */
async function judge(path: string, res: Response): Promise<void> {
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  sent++;
  const text = await res.text();
  if (res.status >= 500 || (res.status !== 200 && (res.status < 400 || res.status > 499))) throw new Error(`status ${res.status}: ${text.slice(0, 500)}`);
  if (!/^application\/json/.test(res.headers.get("content-type") ?? "")) throw new Error(`status ${res.status} without a JSON content type`);
  const body = JSON.parse(text) as Record<string, any>;
  if (res.status !== 200) {
    if (body.error?.status !== res.status || typeof body.error.code !== "string" || !body.error.message) throw new Error(`error shape: ${text.slice(0, 300)}`);
    checkIssues(body.error, `${res.status} ${body.error.code}`);
    return;
  }
  if (path === "/predict") {
    checkPrediction(body, "/predict");
    if (res.headers.get("x-cache") !== body.cache) throw new Error("X-Cache differs from the body's cache");
    return;
  }
  if (!Array.isArray(body.results) || body.results.length !== body.count) throw new Error(`batch: ${text.slice(0, 300)}`);
  body.results.forEach((r: Record<string, any>, i: number) => {
    if (r.index !== i) throw new Error(`batch result ${i} has index ${r.index}`);
    if (r.status === 200) checkPrediction(r.prediction, `batch[${i}]`);
    else if (r.status === 422) checkIssues(r.error, `batch[${i}]`);
    else throw new Error(`batch[${i}] status ${r.status}`);
  });
}

function hostileProperty(path: "/predict" | "/predict/batch", arbBody: fc.Arbitrary<Json>, vars: Record<string, unknown>) {
  return fc.asyncProperty(arbBody, arbMutation, arbContentType, fc.boolean(), async (json, mutation, contentType, strict) => {
    const bytes = toBytes(render(json), mutation);
    await judge(path, await send(path, bytes, contentType, strict && mutation.kind === "as_is", vars));
  });
}

describe("10,000 hostile bodies: every answer is 200 or a 4xx naming the problem, never a 5xx or a hang", () => {
  afterAll(() => {
    console.log(`hostile input: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
  });

  it(`POST /predict (${RUNS.predict} bodies, embedded cache)`, async () => {
    await fc.assert(hostileProperty("/predict", arbPredictJson, {}), { numRuns: RUNS.predict });
  });

  it(`POST /predict/batch (${RUNS.batch} bodies, embedded cache)`, async () => {
    await fc.assert(hostileProperty("/predict/batch", arbBatchJson, {}), { numRuns: RUNS.batch });
  });

  it(`POST /predict (${RUNS.predictRedis} bodies, through the real Redis)`, async () => {
    await fc.assert(hostileProperty("/predict", arbPredictJson, { ...sharedUpstashEnv(), CACHE_TIMEOUT_MS: "2000" }), { numRuns: RUNS.predictRedis });
  });

  it("covered the answers it should: at least 10,000 requests, many predictions and every kind of refusal", () => {
    expect(sent).toBeGreaterThanOrEqual(10_000);
    const count = (s: number) => statuses.get(s) ?? 0;
    expect(count(200)).toBeGreaterThan(sent * 0.15);
    for (const s of [400, 413, 415, 422]) expect(count(s), `status ${s}`).toBeGreaterThan(0);
  });
});

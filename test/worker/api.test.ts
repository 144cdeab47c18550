/**
 * The prediction API against the bundled model in onnxruntime-web, inside workerd: the v1
 * guide's validation case, the shape of every answer, every kind of bad input, batches,
 * scenarios and the read-only endpoints. (One file, so ORT's WASM is loaded once.)
 */

import { checkErrorBody } from "../../core/errors.js";
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FEATURES, PILLARS } from "../../core/schema.js";
import { VERDICT_BANDS } from "../../core/verdict.js";
import { createOrtModel } from "../../worker/src/model/ort-model.js";
import { AUTH, BASE, createTestApp, fetchApi, postJson, readJson, defaultManifest as manifest } from "./api-helpers.js";

const V1_CASE = { total_capital_raised_usd: 1000000, funding_stage: "seed" };

describe("POST /predict", () => {
  it("passes the v1 guide's validation case: 0 <= p <= 1 and lower <= p <= upper", async () => {
    const res = await postJson("/predict", V1_CASE);
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.success_probability).toBeGreaterThanOrEqual(0);
    expect(body.success_probability).toBeLessThanOrEqual(1);
    expect(body.confidence_interval.lower).toBeLessThanOrEqual(body.success_probability);
    expect(body.success_probability).toBeLessThanOrEqual(body.confidence_interval.upper);
  });

  it("answers every field the issue lists, consistently", async () => {
    const res = await postJson("/predict", { ...V1_CASE, runway_months: 4, burn_multiple: 12, prior_successful_exits_count: 1 });
    const body = await readJson(res);
    expect(body.prediction_id).toMatch(/^[0-9a-f-]{36}$/);
    const { lower, upper, width } = body.confidence_interval;
    expect(width).toBeCloseTo(upper - lower, 5);
    expect(body.confidence_score).toBeCloseTo(1 - width, 5);
    expect(["low", "moderate", "high", "very_high"]).toContain(body.uncertainty_level);
    const band = VERDICT_BANDS.find((b) => b.label === body.verdict)!;
    expect(body.success_probability).toBeGreaterThanOrEqual(band.min);
    expect(body.verdict_code).toBe(band.id);
    expect(body.verdict_confidence).toBeGreaterThanOrEqual(0);
    expect(body.verdict_confidence).toBeLessThanOrEqual(1);
    expect(Object.keys(body.pillar_scores).sort()).toEqual([...PILLARS].sort());
    for (const s of Object.values(body.pillar_scores) as number[]) expect(s >= 0 && s <= 1).toBe(true);
    expect(body.factors.length).toBeGreaterThan(0);
    for (const f of body.factors) {
      expect(f).toMatchObject({ feature: expect.any(String), impact: expect.any(Number), size: expect.stringMatching(/small|moderate|large/) });
      expect(f.explanation).toContain(f.feature);
    }
    expect(body.flags.map((f: { code: string }) => f.code).sort()).toEqual(["high_burn_multiple", "prior_exits", "short_runway"]);
    expect(body.data_completeness).toBeCloseTo(5 / 45, 4);
    expect(body.model).toEqual({ name: manifest.name, version: manifest.version, sha256: manifest.onnx.sha256 });
    expect(body.processing_time_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    expect(body.cache).toMatch(/^(MISS|HIT)$/);
  });

  it("sets the headers the router reads", async () => {
    const res = await postJson("/predict", V1_CASE);
    const body = await readJson(res);
    expect(res.headers.get("X-Cache")).toBe(body.cache);
    expect(Number(res.headers.get("X-Flash-Probability"))).toBeCloseTo(body.success_probability, 6);
    expect(res.headers.get("X-Flash-Verdict")).toBe(body.verdict_code);
    expect(res.headers.get("X-Flash-Model-Version")).toBe(manifest.version);
  });

  it("gives a fresh id and timestamp but the same prediction for the same startup", async () => {
    const [a, b] = await Promise.all([postJson("/predict", V1_CASE), postJson("/predict", { funding_stage: "Seed", total_capital_raised_usd: 1e6 })]);
    const x = await readJson(a);
    const y = await readJson(b);
    expect(x.prediction_id).not.toBe(y.prediction_id);
    for (const key of ["success_probability", "confidence_interval", "verdict", "pillar_scores", "factors"]) expect(x[key]).toEqual(y[key]);
  });

  it("accepts and ignores startup_name; warns about unknown fields with the nearest name", async () => {
    const body = await readJson(
      await postJson("/predict", { ...V1_CASE, startup_name: "Acme", total_capital_raised: 5, hq_location: "Berlin", vertical: "saas" }),
    );
    const warnings = body.warnings.filter((w: { code: string }) => w.code === "unknown_field");
    expect(warnings.map((w: { field: string }) => w.field)).toEqual(["total_capital_raised", "hq_location", "vertical"]);
    expect(warnings[0].message).toContain("total_capital_raised is not a feature; did you mean total_capital_raised_usd?");
    expect(warnings[2].suggestion).toBe("sector");
    const plain = await readJson(await postJson("/predict", V1_CASE));
    expect(body.success_probability).toBe(plain.success_probability);
  });

  it("with ?strict=true an unknown field is a 422 naming it", async () => {
    const res = await postJson("/predict?strict=true", { ...V1_CASE, startup_name: "ok", vertical: "saas" });
    expect(res.status).toBe(422);
    const body = await readJson(res);
    expect(body.error.issues).toEqual([{ field: "vertical", rule: "unknown_field", message: expect.stringContaining("did you mean sector?") }]);
    expect((await postJson("/predict?strict=true", { ...V1_CASE, startup_name: "ok" })).status).toBe(200);
  });
});

describe("bad input: a 4xx JSON error naming the field and the rule, never a 500", () => {
  async function expectError(res: Response, status: number, code: string) {
    expect(res.status).toBe(status);
    const body = await readJson(res);
    expect(body.error).toMatchObject({ status, code, message: expect.any(String) });
    // The one envelope of core/errors.ts, `issues` included (empty when no field is at fault).
    expect(checkErrorBody(body), JSON.stringify(body)).toEqual([]);
    return body.error as { issues?: { field: string; rule: string; message: string }[] };
  }

  it("malformed JSON is 400 with the parser's message", async () => {
    for (const text of ['{"runway_months": 12', "{'a': 1}", "NaN", '{"runway_months": NaN}', '{"a": Infinity}', "[1,]", "nul"]) {
      const error = await expectError(await postJson("/predict", text), 400, "malformed_json");
      expect(error.issues![0]).toMatchObject({ field: "body", rule: "json" });
    }
  });

  it("wrong or missing content type is 415", async () => {
    await expectError(await postJson("/predict", V1_CASE, { headers: { "content-type": "text/plain" } }), 415, "unsupported_media_type");
    const none = await SELF.fetch(`${BASE}/predict`, { method: "POST", headers: AUTH, body: new TextEncoder().encode(JSON.stringify(V1_CASE)) });
    await expectError(none, 415, "unsupported_media_type");
    await expectError(await postJson("/predict", V1_CASE, { headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "unsupported_media_type");
    expect((await postJson("/predict", V1_CASE, { headers: { "content-type": "application/json; charset=utf-8" } })).status).toBe(200);
  });

  it("an empty or blank body is 400", async () => {
    await expectError(await postJson("/predict", ""), 400, "empty_body");
    await expectError(await postJson("/predict", "  \n "), 400, "empty_body");
  });

  it("a body over 64 KB is 413, whether or not Content-Length says so", async () => {
    const big = JSON.stringify({ ...V1_CASE, startup_name: "x".repeat(70 * 1024) });
    await expectError(await postJson("/predict", big), 413, "body_too_large");
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 80; i++) controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
        controller.close();
      },
    });
    const chunked = await fetchApi("/predict", { method: "POST", headers: { "content-type": "application/json" }, body: stream });
    await expectError(chunked, 413, "body_too_large");
    const justUnder = JSON.stringify({ ...V1_CASE, startup_name: "x".repeat(60 * 1024) });
    expect((await postJson("/predict", justUnder)).status).toBe(200);
  });

  it("invalid UTF-8 is 400", async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    await expectError(await fetchApi("/predict", { method: "POST", headers: { "content-type": "application/json" }, body: bytes }), 400, "invalid_utf8");
  });

  it("other methods are 405 with Allow; unknown paths 404", async () => {
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const res = await fetchApi("/predict", { method });
      await expectError(res, 405, "method_not_allowed");
      expect(res.headers.get("allow")).toBe("POST");
    }
    const health = await fetchApi("/health", { method: "POST" });
    expect(health.status).toBe(405);
    expect(health.headers.get("allow")).toBe("GET, HEAD");
    await expectError(await fetchApi("/nope"), 404, "not_found");
    await expectError(await fetchApi("/predict", { method: "POST", headers: { authorization: "", "content-type": "application/json" }, body: "{}" }), 401, "unauthorized");
    const head = await SELF.fetch(`${BASE}/health`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("wrong types, ranges, categories, integers and booleans: every problem listed (422)", async () => {
    // Raw text: JSON.stringify would turn 1e400 (Infinity) into null.
    const error = await expectError(
      await postJson(
        "/predict",
        `{"total_capital_raised_usd": "lots", "runway_months": -3, "founders_count": 2.5, "sector": "crypto",
          "has_debt": "maybe", "tam_size_usd": 1e400, "funding_stage": 3, "customer_concentration_percent": 101}`,
      ),
      422,
      "invalid_request",
    );
    const got = error.issues!.map((i) => `${i.field}:${i.rule}`).sort();
    expect(got).toEqual(
      [
        "customer_concentration_percent:range",
        "founders_count:integer",
        "funding_stage:type",
        "has_debt:boolean",
        "runway_months:range",
        "sector:category",
        "tam_size_usd:finite",
        "total_capital_raised_usd:type",
      ].sort(),
    );
    for (const issue of error.issues!) expect(issue.message).toContain(issue.field);
  });

  it("a JSON value that is not an object is 422 naming the body", async () => {
    for (const body of ["[]", "[{}]", '"text"', "42", "null", "true"]) {
      const error = await expectError(await postJson("/predict", body), 422, "invalid_request");
      expect(error.issues![0]).toMatchObject({ field: "body", rule: "object" });
    }
  });

  it("a bad ?strict value is 400", async () => {
    const error = await expectError(await postJson("/predict?strict=maybe", V1_CASE), 400, "invalid_parameter");
    expect(error.issues![0]).toMatchObject({ field: "strict", rule: "boolean" });
  });

  it("prototype-looking keys and deep nesting are harmless", async () => {
    const proto = await postJson("/predict", '{"__proto__": {"runway_months": 1}, "constructor": {"prototype": 1}, "runway_months": 12}');
    expect(proto.status).toBe(200);
    const deep = await postJson("/predict", `{"x": ${"[".repeat(5000)}${"]".repeat(5000)}, "runway_months": 12}`);
    expect(deep.status).toBe(200);
    expect((await readJson(deep)).warnings[0].field).toBe("x");
  });
});

describe("POST /predict/batch", () => {
  it("mixed items: each bad one gets its own error, the others their prediction", async () => {
    const res = await postJson("/predict/batch", { startups: [V1_CASE, { runway_months: -1, sector: "crypto" }, {}, "nope", { vertical: "saas" }] });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body).toMatchObject({ count: 5, succeeded: 3, failed: 2 });
    expect(body.results.map((r: { status: number }) => r.status)).toEqual([200, 422, 200, 422, 200]);
    expect(body.results[1].error.issues.map((i: { field: string }) => i.field).sort()).toEqual(["startups[1].runway_months", "startups[1].sector"]);
    expect(body.results[3].error.issues[0]).toMatchObject({ field: "startups[3]", rule: "object" });
    expect(body.results[4].prediction.warnings[0].suggestion).toBe("sector");
    const single = await readJson(await postJson("/predict", V1_CASE));
    expect(body.results[0].prediction.success_probability).toBe(single.success_probability);
    expect(body.results[0].prediction.factors).toEqual(single.factors);
    expect(res.headers.get("X-Flash-Model-Version")).toBe(manifest.version);
  });

  it("scores up to 100 startups in ONE model run", async () => {
    let runs = 0;
    const app = createTestApp({
      createModel: async (bytes) => {
        const model = await createOrtModel(bytes);
        return { predict: (f, rows) => (runs++, model.predict(f, rows)) };
      },
    });
    const startups = Array.from({ length: 100 }, (_, i) => ({ runway_months: i, sector: i % 2 ? "saas" : "fintech" }));
    const res = await app.post("/predict/batch", startups);
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.succeeded).toBe(100);
    expect(runs).toBe(1);
  });

  it("takes 100 full startups (256 KB limit for batches) but not more bytes than that", async () => {
    const full = Object.fromEntries(FEATURES.map((f) => [f.name, f.type === "category" ? f.categories[0] : f.type === "boolean" ? true : f.max]));
    const ok = await postJson("/predict/batch", { startups: Array(100).fill(full) });
    expect(ok.status).toBe(200);
    expect((await readJson(ok)).succeeded).toBe(100);
    const huge = await postJson("/predict/batch", { startups: [{ startup_name: "x".repeat(300 * 1024) }] });
    expect(huge.status).toBe(413);
  });

  it("refuses a bad envelope: missing, empty, too many, not an array", async () => {
    const cases: [unknown, string][] = [
      [{}, "startups:required"],
      [{ startups: [] }, "startups:min_items"],
      [{ startups: Array(101).fill({}) }, "startups:max_items"],
      [{ startups: 5 }, "startups:type"],
    ];
    for (const [body, rule] of cases) {
      const res = await postJson("/predict/batch", body);
      expect(res.status).toBe(422);
      const error = (await readJson(res)).error;
      expect(`${error.issues[0].field}:${error.issues[0].rule}`).toBe(rule);
    }
  });
});

describe("POST /scenarios", () => {
  const base = { ...V1_CASE, runway_months: 5, burn_multiple: 6, annual_revenue_run_rate: 300000 };

  it("scores named changes, sorted by impact, with recommendations", async () => {
    const res = await postJson("/scenarios", {
      base,
      scenarios: [
        { name: "short runway", changes: { runway_months: 1 } },
        { name: "long runway", changes: { runway_months: 30 } },
        { name: "forget burn", changes: { burn_multiple: null } },
      ],
    });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    const baseP = (await readJson(await postJson("/predict", base))).success_probability;
    expect(body.base.success_probability).toBe(baseP);
    const impacts = body.scenarios.map((s: { impact: number }) => s.impact);
    expect([...impacts].sort((a, b) => b - a)).toEqual(impacts);
    const long = body.scenarios.find((s: { name: string }) => s.name === "long runway");
    const direct = (await readJson(await postJson("/predict", { ...base, runway_months: 30 }))).success_probability;
    expect(long.success_probability).toBe(direct);
    expect(long.impact).toBeCloseTo(direct - baseP, 4);
    expect(body.recommendations.length).toBeGreaterThan(0);
    expect(body.standard_scenarios).toBe(false);
  });

  it("without scenarios, runs FLASH's standard what-ifs", async () => {
    const body = await readJson(await postJson("/scenarios", { base }));
    expect(body.standard_scenarios).toBe(true);
    expect(body.scenarios.map((s: { name: string }) => s.name)).toContain("Extend runway to 18 months");
  });

  it("lists every problem in base and scenarios (422)", async () => {
    const res = await postJson("/scenarios", { base: { runway_months: -1 }, scenarios: [{ name: "x", changes: { burn_multipel: 1 } }] });
    expect(res.status).toBe(422);
    const fields = (await readJson(res)).error.issues.map((i: { field: string }) => i.field).sort();
    expect(fields).toEqual(["base.runway_months", "scenarios[0].changes.burn_multipel"]);
  });
});

describe("read-only endpoints", () => {
  it("GET /health: ok, model loaded, checksum verified, colour and version", async () => {
    const res = await SELF.fetch(`${BASE}/health`);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({
      status: "ok",
      model_loaded: true,
      checksum_verified: true,
      color: "local",
      environment: "development",
      model: { version: manifest.version, sha256: manifest.onnx.sha256 },
    });
  });

  it("GET /features: the 45 features with types, ranges, categories and descriptions", async () => {
    const body = await readJson(await fetchApi("/features"));
    expect(body.count).toBe(45);
    expect(body.features.map((f: { name: string }) => f.name)).toEqual(FEATURES.map((f) => f.name));
    const sector = body.features.find((f: { name: string }) => f.name === "sector");
    expect(sector.categories).toContain("saas");
    const runway = body.features.find((f: { name: string }) => f.name === "runway_months");
    expect(runway).toMatchObject({ type: "number", min: 0, max: 120, unit: "months", pillar: "capital" });
  });

  it("GET /model: the manifest with its test metrics and the model card", async () => {
    const body = await readJson(await fetchApi("/model"));
    expect(body.version).toBe(manifest.version);
    expect(body.metrics.test.auc).toBe(manifest.metrics.test.auc);
    expect(body.model_card_markdown).toContain("Model card");
  });

  it("GET /openapi.json: generated from the schema, with this server", async () => {
    const body = await readJson(await SELF.fetch(`${BASE}/openapi.json`));
    expect(body.openapi).toBe("3.1.0");
    expect(body.servers[0].url).toBe(BASE);
    expect(Object.keys(body.components.schemas.Features.properties)).toHaveLength(45);
  });

  it("GET /docs: an HTML page listing endpoints and features; GET / points at it", async () => {
    const res = await fetchApi("/docs");
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain("/predict/batch");
    expect(html).toContain("net_dollar_retention_percent");
    // "Try it" must work when pasted: outside production it uses the variable npm start prints.
    expect(html).toContain('Bearer $FLASH_DEV_API_KEY');
    expect(html).not.toContain("This document");
    expect((await readJson(await fetchApi("/"))).docs).toBe("/docs");
  });
});

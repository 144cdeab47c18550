/**
 * The model's life in an isolate and the fault-injection switch, with stand-in models (no ORT):
 * checksum and manifest checks answer 503 with the reason and predict nothing; each calibration
 * method is served as the manifest says, and a bad one is refused at load; a failed session
 * creation is retried by the next request; FLASH_MODEL_VERSION pins the model; faults work
 * outside production and are ignored in production.
 */

import { describe, expect, it } from "vitest";
import { calibrateProbability, type Calibration } from "../../core/calibration.js";
import type { ModelManifest } from "../../core/manifest.js";
import { generateApiKey, hashApiKey } from "../../worker/src/auth/index.js";
import { StubModel, committedBundle, createTestApp, readJson } from "./api-helpers.js";

const manifest = committedBundle.manifest as ModelManifest;
const V1_CASE = { total_capital_raised_usd: 1000000, funding_stage: "seed" };

function neverCreate(): never {
  throw new Error("createModel must not be called when the bundle fails its checks");
}

describe("model checks at first load", () => {
  it("a checksum mismatch: /health and /predict answer 503 with the reason, nothing is predicted", async () => {
    const wrong = { ...manifest, onnx: { ...manifest.onnx, sha256: "f".repeat(64) } };
    const app = createTestApp({ bundle: { ...committedBundle, manifest: wrong }, createModel: async () => neverCreate() });
    const health = await app.fetch("/health");
    expect(health.status).toBe(503);
    const h = await readJson(health);
    expect(h).toMatchObject({ status: "unavailable", model_loaded: false, checksum_verified: false });
    expect(h.reason).toContain("checksum mismatch");
    expect(h.reason).toContain(manifest.onnx.sha256);
    const predict = await app.post("/predict", V1_CASE);
    expect(predict.status).toBe(503);
    expect((await readJson(predict)).error).toMatchObject({ code: "model_unavailable", message: expect.stringContaining("checksum mismatch") });
    expect((await app.post("/predict/batch", [V1_CASE])).status).toBe(503);
    expect((await app.post("/scenarios", { base: V1_CASE })).status).toBe(503);
    // Still helpful about what it is.
    expect((await app.fetch("/features")).status).toBe(200);
    expect((await app.fetch("/model")).status).toBe(200);
  });

  it("tampered model bytes are caught the same way", async () => {
    const bytes = new Uint8Array(committedBundle.onnx.slice(0));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    const app = createTestApp({ bundle: { ...committedBundle, onnx: bytes.buffer }, createModel: async () => neverCreate() });
    const res = await app.post("/predict", V1_CASE);
    expect(res.status).toBe(503);
    expect((await readJson(res)).error.message).toContain("checksum mismatch");
  });

  it("an invalid manifest or one built for another encoding is refused", async () => {
    const broken = { ...manifest, calibration: { method: "isotonic", x: [0.5, 0.2], y: [0, 1] } };
    const a = createTestApp({ bundle: { ...committedBundle, manifest: broken }, createModel: async () => neverCreate() });
    expect((await readJson(await a.fetch("/health"))).reason).toContain("manifest is invalid");
    const other = { ...manifest, encoding: { ...manifest.encoding, hash: "0".repeat(64) } };
    const b = createTestApp({ bundle: { ...committedBundle, manifest: other }, createModel: async () => neverCreate() });
    expect((await readJson(await b.post("/predict", V1_CASE))).error.message).toContain("feature encoding");
  });

  it("a failed session creation is retried by the next request", async () => {
    let attempts = 0;
    const app = createTestApp({
      createModel: async () => {
        attempts++;
        if (attempts === 1) throw new Error("out of memory (simulated)");
        return new StubModel();
      },
    });
    const first = await app.post("/predict", V1_CASE);
    expect(first.status).toBe(503);
    expect((await readJson(first)).error.message).toContain("out of memory (simulated)");
    expect((await app.post("/predict", V1_CASE)).status).toBe(200);
    expect(attempts).toBe(2);
    expect(app.models.status()).toMatchObject({ loaded: true, checksumVerified: true, attempts: 2 });
  });

  it("concurrent first requests share one load", async () => {
    let creations = 0;
    const app = createTestApp({
      createModel: async () => {
        creations++;
        await new Promise((r) => setTimeout(r, 20));
        return new StubModel();
      },
    });
    const answers = await Promise.all(Array.from({ length: 8 }, () => app.post("/predict", V1_CASE)));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(creations).toBe(1);
  });

  it("FLASH_MODEL_VERSION pins the model a deployment must serve", async () => {
    const app = createTestApp({ createModel: async () => new StubModel() });
    const wrong = await app.fetch("/health", {}, { FLASH_MODEL_VERSION: "some-other-version" });
    expect(wrong.status).toBe(503);
    expect((await readJson(wrong)).reason).toContain(`bundles ${manifest.version}`);
    expect((await app.post("/predict", V1_CASE, { FLASH_MODEL_VERSION: "some-other-version" })).status).toBe(503);
    expect((await app.post("/predict", V1_CASE, { FLASH_MODEL_VERSION: manifest.version })).status).toBe(200);
  });
});

describe("the manifest's calibration, as served", () => {
  // Each method with the choice record that goes with it (checkManifest wants them to agree).
  const withCalibration = (calibration: Calibration): ModelManifest => ({
    ...manifest,
    calibration,
    calibration_choice: { method: calibration.method, reason: `${calibration.method}: test`, candidates: [] },
  });
  const methods: Calibration[] = [
    { method: "isotonic", x: [0.05, 0.25, 0.6, 0.9], y: [0.08, 0.2, 0.7, 0.95] },
    { method: "platt", a: 0.7, b: -0.4 },
    { method: "none" },
  ];

  for (const calibration of methods) {
    it(`${calibration.method}: /predict answers calibrateProbability(manifest.calibration, raw)`, async () => {
      for (const raw of [0.02, 0.3, 0.77]) {
        const app = createTestApp({ bundle: { ...committedBundle, manifest: withCalibration(calibration) }, createModel: async () => new StubModel(() => raw) });
        const res = await app.post("/predict", V1_CASE);
        expect(res.status).toBe(200);
        const body = await readJson(res);
        // The stand-in's output is float32, as onnxruntime's is.
        const expected = calibrateProbability(calibration, Math.fround(raw));
        expect(body.success_probability).toBe(expected);
        if (calibration.method === "none") expect(body.success_probability).toBe(Math.fround(raw));
        else expect(Math.abs(body.success_probability - raw)).toBeGreaterThan(0.01); // the calibration did something
      }
    });
  }

  it("a bad Platt calibration is refused at load, naming the field and rule", async () => {
    for (const [calibration, message] of [
      [{ method: "platt", a: "x", b: 0.1 }, 'manifest.calibration.a must be a finite number, got "x"'],
      [{ method: "platt", a: 0.9 }, "manifest.calibration.b must be a finite number, got nothing"],
      [{ method: "platt", a: -1, b: 0 }, "manifest.calibration.a must be positive"],
      [{ method: "beta" }, 'manifest.calibration.method must be one of "none", "platt", "isotonic", got "beta"'],
    ] as const) {
      const broken = { ...manifest, calibration, calibration_choice: undefined };
      const app = createTestApp({ bundle: { ...committedBundle, manifest: broken }, createModel: async () => neverCreate() });
      const health = await app.fetch("/health");
      expect(health.status).toBe(503);
      const reason = (await readJson(health)).reason as string;
      expect(reason).toContain("manifest is invalid");
      expect(reason).toContain(message);
      const predict = await app.post("/predict", V1_CASE);
      expect(predict.status).toBe(503);
      expect((await readJson(predict)).error).toMatchObject({ code: "model_unavailable", message: expect.stringContaining(message) });
    }
  });

  it("a choice record that contradicts the served calibration is refused too", async () => {
    const wrong = { ...withCalibration({ method: "platt", a: 1, b: 0 }), calibration_choice: { method: "isotonic", reason: "x", candidates: [] } };
    const app = createTestApp({ bundle: { ...committedBundle, manifest: wrong }, createModel: async () => neverCreate() });
    expect((await readJson(await app.fetch("/health"))).reason).toContain('manifest.calibration_choice.method must equal manifest.calibration.method ("platt"), got "isotonic"');
  });
});

describe("fault injection (non-production only)", () => {
  const app = createTestApp({ createModel: async () => new StubModel(() => 0.3) });
  const normal = calibrateProbability(manifest.calibration, Math.fround(0.3));

  it("FAULT_ERROR_RATE=1 fails every prediction request with a 500; /health stays healthy", async () => {
    const vars = { FLASH_ENVIRONMENT: "staging", FAULT_ERROR_RATE: "1" };
    for (const res of [await app.post("/predict", V1_CASE, vars), await app.post("/predict/batch", [V1_CASE], vars), await app.post("/scenarios", { base: V1_CASE }, vars)]) {
      expect(res.status).toBe(500);
      expect((await readJson(res)).error.code).toBe("fault_injected");
    }
    const health = await app.fetch("/health", {}, vars);
    expect(health.status).toBe(200);
    expect((await readJson(health)).faults).toEqual({ errorRate: 1, latencyMs: 0 });
  });

  it("FAULT_ERROR_RATE=0.5 fails about half", async () => {
    const statuses = await Promise.all(Array.from({ length: 200 }, () => app.post("/predict", V1_CASE, { FAULT_ERROR_RATE: "0.5" }).then((r) => r.status)));
    const failed = statuses.filter((s) => s === 500).length;
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
    expect(statuses.every((s) => s === 200 || s === 500)).toBe(true);
  });

  it("FAULT_LATENCY_MS delays predictions", async () => {
    const started = Date.now();
    expect((await app.post("/predict", V1_CASE, { FAULT_LATENCY_MS: "120" })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("FAULT_CONSTANT_PROBABILITY makes every prediction that value", async () => {
    const res = await app.post("/predict", V1_CASE, { FAULT_CONSTANT_PROBABILITY: "0.9" });
    const body = await readJson(res);
    expect(body.success_probability).toBe(0.9);
    expect(body.verdict).toBe("STRONG PASS");
    expect(res.headers.get("X-Flash-Probability")).toBe("0.9");
    const batch = await readJson(await app.post("/predict/batch", [V1_CASE, {}], { FAULT_CONSTANT_PROBABILITY: "0.9" }));
    expect(batch.results.map((r: { prediction: { success_probability: number } }) => r.prediction.success_probability)).toEqual([0.9, 0.9]);
  });

  it("production ignores every fault variable", async () => {
    // Production refuses the development key: a real key record, as `npm run keys` writes it.
    const key = generateApiKey();
    const record = { id: "key_prodtest", name: "prod test", sha256: await hashApiKey(key), created_at: new Date().toISOString(), expires_at: null };
    const vars = {
      FLASH_ENVIRONMENT: "production",
      FLASH_API_KEYS: JSON.stringify({ version: 1, keys: [record] }),
      FAULT_ERROR_RATE: "1",
      FAULT_LATENCY_MS: "5000",
      FAULT_CONSTANT_PROBABILITY: "0.9",
    };
    const started = Date.now();
    const res = await app.post("/predict", V1_CASE, vars, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await readJson(res)).success_probability).toBeCloseTo(normal, 9);
    expect((await readJson(await app.fetch("/health", {}, vars))).faults).toBeNull();
  });

  it("nonsense fault values are ignored", async () => {
    const res = await app.post("/predict", V1_CASE, { FAULT_ERROR_RATE: "lots", FAULT_LATENCY_MS: "-5", FAULT_CONSTANT_PROBABILITY: "2" });
    expect(res.status).toBe(200);
    expect((await readJson(res)).success_probability).toBeCloseTo(normal, 9);
  });
});

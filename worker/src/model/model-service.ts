/**
 * The model of this isolate: checked once, loaded lazily, shared by every request.
 *
 * On first use the bundled bytes are checked against the manifest (sha256, manifest structure,
 * encoding hash). A failed check is permanent for the deployment (the bundle is immutable), so
 * it is remembered and every later request gets the same 503 with the reason. Session creation
 * is different: if it fails (a transient runtime problem), nothing is remembered and the next
 * request tries again. Concurrent first requests share one load.
 *
 * Two engines read the one file. onnxruntime-web serves; its first start in an isolate costs
 * about 300 ms of CPU (its WASM runtime's own initialisation). The trees of the same file,
 * walked in TypeScript (core/tree-explainer.ts, which also explains every prediction), give the
 * same probabilities (within 1e-6, tested). In "deferred" mode (the Worker) a fresh isolate
 * answers from the trees and starts onnxruntime right after that answer, so no request waits
 * for a start it does not need; if the start fails, the trees keep serving (/health says why)
 * and a later request tries again.
 *
 * An imported model (model:import) whose file is not a tree ensemble the walk reads (a logistic
 * regression, an MLP: its manifest says `import.evaluator: "onnxruntime"`) has no trees: every
 * load waits for onnxruntime, and its explanations are occlusion rows scored by onnxruntime in
 * the same request (core/explain.ts createBatchRowExplainer).
 */

import { ENCODING_HASH } from "../../../core/encoding.js";
import { createBatchRowExplainer, type BatchExplainer, type Explainer } from "../../../core/explain.js";
import { compileFeatureMap } from "../../../core/feature-map.js";
import { checkManifest, isImportedManifest, type AnyModelManifest } from "../../../core/manifest.js";
import { readOnnxTrees, readTreeModel } from "../../../core/onnx-trees.js";
import { toHex } from "../../../core/sha256.js";
import { createPredictionContext, type Model, type PredictionContext, type PredictionEngine } from "../../../core/predict.js";
import { FEATURE_COUNT } from "../../../core/schema.js";
import { TreeExplainer } from "../../../core/tree-explainer.js";
import { ModelUnavailableError } from "../errors.js";

export interface ModelBundle {
  readonly onnx: ArrayBuffer;
  /** The parsed manifest.json (checked here, so `unknown`). */
  readonly manifest: unknown;
  readonly card: string;
}

export interface LoadedModel extends PredictionEngine {
  /** onnxruntime once it has started; the trees (same file, same answers) until then. */
  readonly model: Model;
  /** Pillar scores and factors: the trees of the same ONNX bytes, or occlusion rows through onnxruntime. */
  readonly explainer: Explainer | BatchExplainer;
  readonly manifest: AnyModelManifest;
  /** Calibration and interval inputs for normal serving. */
  readonly context: PredictionContext;
  /** Which engine scores right now. */
  engine(): Engine;
}

/** "onnxruntime" (the session) or "trees" (the file's trees walked in TypeScript, while it starts). */
export type Engine = "onnxruntime" | "trees";

export interface ModelStatus {
  /** True once the model can predict (checked, its trees read); see `engine` for onnxruntime. */
  readonly loaded: boolean;
  /** True once the bytes matched the manifest's sha256; false before the check or on mismatch. */
  readonly checksumVerified: boolean;
  readonly engine: Engine | null;
  /** Why the model cannot serve, or why onnxruntime did not start (the trees serve meanwhile). */
  readonly error?: string;
  /** Milliseconds onnxruntime's session took to start (its first attempt that worked). */
  readonly loadMs?: number;
  /** onnxruntime starts attempted. */
  readonly attempts: number;
}

export type CreateModel = (onnx: Uint8Array) => Promise<Model>;
export type CreateExplainer = (onnx: Uint8Array, manifest: AnyModelManifest) => Explainer & { score(x: Float32Array, offset: number): number };

export interface ModelServiceOptions {
  /** How to turn bytes into a runnable model (onnxruntime-web in the Worker). */
  readonly createModel: CreateModel;
  /** How to read the same model's trees (explanations, and predictions while onnxruntime starts). */
  readonly createExplainer?: CreateExplainer;
  /** An explainer a created model brings itself (stand-in models in tests); the trees otherwise. */
  readonly explainWith?: (model: Model) => Explainer | undefined;
  /**
   * "deferred" (the Worker): the first requests are answered from the trees and onnxruntime
   * starts after the answer (LoadOptions.defer), so a fresh isolate's first answer does not wait
   * for onnxruntime's ~300 ms start. "eager": every load waits for onnxruntime (tests, /health).
   */
  readonly start?: "deferred" | "eager";
}

export interface LoadOptions {
  /** Where a deferred start runs: once the current answer is out (middleware/after-response.ts). */
  readonly defer?: (task: () => Promise<unknown>) => void;
  /** Wait for onnxruntime even in deferred mode (/health: ready means ready). */
  readonly waitForOnnx?: boolean;
}

/** The default explainer: the ONNX file's own trees, walked in TypeScript (an imported model's through its feature map). */
export function createTreeExplainer(onnx: Uint8Array, manifest?: AnyModelManifest): TreeExplainer {
  if (manifest && isImportedManifest(manifest)) {
    const map = compileFeatureMap(manifest.import.feature_map);
    return new TreeExplainer(readTreeModel(onnx, { featureCount: FEATURE_COUNT, map, input: manifest.import.model_input }));
  }
  return new TreeExplainer(readOnnxTrees(onnx, FEATURE_COUNT));
}

/** An imported model the tree walk does not read: onnxruntime serves and explains alone. */
function servedByOnnxOnly(manifest: AnyModelManifest): boolean {
  return isImportedManifest(manifest) && manifest.import.evaluator === "onnxruntime";
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

type Verification = { readonly ok: true; readonly manifest: AnyModelManifest } | { readonly ok: false; readonly reason: string };

/** The trees as a Model: float32 probabilities, like onnxruntime's output. */
function treesAsModel(trees: ReturnType<CreateExplainer>): Model {
  return {
    async predict(features, rows) {
      const out = new Float32Array(rows);
      for (let r = 0; r < rows; r++) out[r] = trees.score(features, r * FEATURE_COUNT);
      return out;
    },
  };
}

export class ModelService {
  private verification: Promise<Verification> | undefined;
  private loaded: LoadedModel | undefined;
  private onnx: Model | undefined;
  private onnxExplainer: Explainer | undefined;
  private onnxStarting: Promise<Model> | undefined;
  private onnxScheduled = false;
  private lastError: string | undefined;
  private attempts = 0;
  private loadMs: number | undefined;
  private verified = false;

  constructor(
    readonly bundle: ModelBundle,
    private readonly options: ModelServiceOptions,
  ) {}

  /** The manifest as bundled, for /model and /health even before (or without) a load. */
  get manifest(): Partial<AnyModelManifest> {
    return (typeof this.bundle.manifest === "object" && this.bundle.manifest !== null ? this.bundle.manifest : {}) as Partial<AnyModelManifest>;
  }

  status(): ModelStatus {
    return {
      loaded: this.loaded !== undefined,
      checksumVerified: this.verified,
      engine: this.loaded ? this.loaded.engine() : null,
      attempts: this.attempts,
      ...(this.lastError !== undefined && this.onnx === undefined ? { error: this.lastError } : {}),
      ...(this.loadMs !== undefined ? { loadMs: this.loadMs } : {}),
    };
  }

  /**
   * The loaded model; throws ModelUnavailableError (503) with the reason when it cannot serve.
   * `expectedVersion` (the deployment's FLASH_MODEL_VERSION) must match the bundle when set.
   */
  async load(expectedVersion = "", options: LoadOptions = {}): Promise<LoadedModel> {
    const loaded = this.loaded ?? (await this.prepare());
    if (expectedVersion !== "" && loaded.manifest.version !== expectedVersion) {
      throw new ModelUnavailableError(
        `this deployment must serve model ${expectedVersion} (FLASH_MODEL_VERSION) but bundles ${loaded.manifest.version}; redeploy with the right model or fix the variable`,
      );
    }
    if (this.onnx) return loaded;
    const deferred = this.options.start === "deferred" && options.defer !== undefined && !options.waitForOnnx && !servedByOnnxOnly(loaded.manifest);
    if (!deferred) {
      await this.startOnnx();
      return loaded;
    }
    if (!this.onnxScheduled && !this.onnxStarting) {
      this.onnxScheduled = true;
      options.defer!(async () => {
        try {
          await this.startOnnx();
        } catch {
          // Remembered in lastError (/health says why); the trees keep serving and a later request retries.
        } finally {
          this.onnxScheduled = false;
        }
      });
    }
    return loaded;
  }

  /** Check the bundle and read its trees, once; a failed check is remembered (the bundle is immutable). */
  private async prepare(): Promise<LoadedModel> {
    this.verification ??= this.verify();
    const verification = await this.verification;
    if (!verification.ok) throw new ModelUnavailableError(verification.reason);
    if (!this.loaded && servedByOnnxOnly(verification.manifest)) {
      const self = this;
      // Scored by whichever model serves: the variants of a batch in one onnxruntime run.
      const explainer = createBatchRowExplainer((features, rows) => self.loaded!.model.predict(features, rows));
      const notStarted: Model = {
        predict: () => Promise.reject(new ModelUnavailableError("onnxruntime has not started (this model has no trees to answer meanwhile)")),
      };
      this.loaded = {
        get explainer() {
          return self.onnxExplainer ?? explainer;
        },
        manifest: verification.manifest,
        context: createPredictionContext(verification.manifest),
        get model() {
          return self.onnx ?? notStarted;
        },
        engine: () => "onnxruntime",
      };
    }
    if (!this.loaded) {
      let trees: ReturnType<CreateExplainer>;
      try {
        trees = (this.options.createExplainer ?? createTreeExplainer)(new Uint8Array(this.bundle.onnx), verification.manifest);
      } catch (error) {
        const reason = `the model's trees cannot be read: ${error instanceof Error ? error.message : String(error)}`;
        this.verification = Promise.resolve({ ok: false, reason });
        throw new ModelUnavailableError(reason);
      }
      const treeModel = treesAsModel(trees);
      const self = this;
      this.loaded = {
        get explainer() {
          return self.onnxExplainer ?? trees;
        },
        manifest: verification.manifest,
        context: createPredictionContext(verification.manifest),
        get model() {
          return self.onnx ?? treeModel;
        },
        engine: () => (self.onnx ? "onnxruntime" : "trees"),
      };
    }
    return this.loaded;
  }

  /** Start onnxruntime's session; concurrent callers share one start; a failure is forgotten so the next load retries. */
  private startOnnx(): Promise<Model> {
    if (this.onnx) return Promise.resolve(this.onnx);
    const starting = this.onnxStarting ?? this.createOnnx();
    this.onnxStarting = starting;
    return starting.catch((error: unknown) => {
      if (this.onnxStarting === starting) this.onnxStarting = undefined;
      throw error instanceof ModelUnavailableError ? error : new ModelUnavailableError(`the model failed to load: ${this.lastError}`);
    });
  }

  private async createOnnx(): Promise<Model> {
    this.attempts++;
    const started = Date.now();
    try {
      const model = await this.options.createModel(new Uint8Array(this.bundle.onnx));
      this.loadMs = Date.now() - started;
      this.onnxExplainer = this.options.explainWith?.(model);
      this.onnx = model;
      this.lastError = undefined;
      return model;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  private async verify(): Promise<Verification> {
    const problems = checkManifest(this.bundle.manifest);
    if (problems.length > 0) return { ok: false, reason: `the bundled manifest is invalid: ${problems.join("; ")}` };
    const manifest = this.bundle.manifest as AnyModelManifest;
    if (manifest.encoding.hash !== ENCODING_HASH) {
      return {
        ok: false,
        reason: `the model was built for feature encoding ${manifest.encoding.hash.slice(0, 12)}, this Worker encodes ${ENCODING_HASH.slice(0, 12)}: rebuild the model or deploy the matching code`,
      };
    }
    const actual = await sha256Hex(new Uint8Array(this.bundle.onnx));
    if (actual !== manifest.onnx.sha256) {
      return {
        ok: false,
        reason: `model checksum mismatch: the bundled ONNX has sha256 ${actual} but the manifest says ${manifest.onnx.sha256}; nothing is predicted`,
      };
    }
    this.verified = true;
    return { ok: true, manifest };
  }
}

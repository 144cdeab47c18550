/**
 * The model of this isolate: checked once, loaded lazily, shared by every request.
 *
 * On first use the bundled bytes are checked against the manifest (sha256, manifest structure,
 * encoding hash). A failed check is permanent for the deployment (the bundle is immutable), so
 * it is remembered and every later request gets the same 503 with the reason. Session creation
 * is different: if it fails (a transient runtime problem), nothing is remembered and the next
 * request tries again. Concurrent first requests share one load.
 */

import { ENCODING_HASH } from "../../../core/encoding.js";
import type { Explainer } from "../../../core/explain.js";
import { checkManifest, type ModelManifest } from "../../../core/manifest.js";
import { readOnnxTrees } from "../../../core/onnx-trees.js";
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
  readonly model: Model;
  /** Pillar scores and factors, from the trees of the same ONNX bytes the model runs. */
  readonly explainer: Explainer;
  readonly manifest: ModelManifest;
  /** Calibration and interval inputs for normal serving. */
  readonly context: PredictionContext;
}

export interface ModelStatus {
  readonly loaded: boolean;
  /** True once the bytes matched the manifest's sha256; false before the check or on mismatch. */
  readonly checksumVerified: boolean;
  /** Why the model cannot serve, if it cannot. */
  readonly error?: string;
  readonly loadMs?: number;
  readonly attempts: number;
}

export type CreateModel = (onnx: Uint8Array) => Promise<Model>;
export type CreateExplainer = (onnx: Uint8Array, model: Model) => Explainer;

export interface ModelServiceOptions {
  /** How to turn bytes into a runnable model (onnxruntime-web in the Worker). */
  readonly createModel: CreateModel;
  /** How to explain that model's predictions; by default its trees are read from the same bytes. */
  readonly createExplainer?: CreateExplainer;
}

/** The default explainer: the ONNX file's own trees, walked in TypeScript. */
export function createTreeExplainer(onnx: Uint8Array): Explainer {
  return new TreeExplainer(readOnnxTrees(onnx, FEATURE_COUNT));
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

type Verification = { readonly ok: true; readonly manifest: ModelManifest } | { readonly ok: false; readonly reason: string };

export class ModelService {
  private verification: Promise<Verification> | undefined;
  private loading: Promise<LoadedModel> | undefined;
  private loaded: LoadedModel | undefined;
  private lastError: string | undefined;
  private attempts = 0;
  private loadMs: number | undefined;
  private verified = false;

  constructor(
    readonly bundle: ModelBundle,
    private readonly options: ModelServiceOptions,
  ) {}

  /** The manifest as bundled, for /model and /health even before (or without) a load. */
  get manifest(): Partial<ModelManifest> {
    return (typeof this.bundle.manifest === "object" && this.bundle.manifest !== null ? this.bundle.manifest : {}) as Partial<ModelManifest>;
  }

  status(): ModelStatus {
    return {
      loaded: this.loaded !== undefined,
      checksumVerified: this.verified,
      attempts: this.attempts,
      ...(this.lastError !== undefined && this.loaded === undefined ? { error: this.lastError } : {}),
      ...(this.loadMs !== undefined ? { loadMs: this.loadMs } : {}),
    };
  }

  /**
   * The loaded model; throws ModelUnavailableError (503) with the reason when it cannot serve.
   * `expectedVersion` (the deployment's FLASH_MODEL_VERSION) must match the bundle when set.
   */
  async load(expectedVersion = ""): Promise<LoadedModel> {
    const loaded = this.loaded ?? (await this.loadOnce());
    if (expectedVersion !== "" && loaded.manifest.version !== expectedVersion) {
      throw new ModelUnavailableError(
        `this deployment must serve model ${expectedVersion} (FLASH_MODEL_VERSION) but bundles ${loaded.manifest.version}; redeploy with the right model or fix the variable`,
      );
    }
    return loaded;
  }

  private loadOnce(): Promise<LoadedModel> {
    this.loading ??= this.createLoaded().then(
      (loaded) => {
        this.loaded = loaded;
        this.lastError = undefined;
        return loaded;
      },
      (error: unknown) => {
        // Forget the failed attempt so the next request retries (verification stays cached).
        this.loading = undefined;
        this.lastError = error instanceof Error ? error.message : String(error);
        throw error instanceof ModelUnavailableError ? error : new ModelUnavailableError(`the model failed to load: ${this.lastError}`);
      },
    );
    return this.loading;
  }

  private async createLoaded(): Promise<LoadedModel> {
    this.verification ??= this.verify();
    const verification = await this.verification;
    if (!verification.ok) throw new ModelUnavailableError(verification.reason);
    this.attempts++;
    const started = Date.now();
    const bytes = new Uint8Array(this.bundle.onnx);
    const model = await this.options.createModel(bytes);
    const explainer = (this.options.createExplainer ?? createTreeExplainer)(bytes, model);
    this.loadMs = Date.now() - started;
    return { model, explainer, manifest: verification.manifest, context: createPredictionContext(verification.manifest) };
  }

  private async verify(): Promise<Verification> {
    const problems = checkManifest(this.bundle.manifest);
    if (problems.length > 0) return { ok: false, reason: `the bundled manifest is invalid: ${problems.join("; ")}` };
    const manifest = this.bundle.manifest as ModelManifest;
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

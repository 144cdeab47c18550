/**
 * From a client's feature object to the model's input vector, shared by model-build and the
 * Worker. Validation and normalisation live here too, because what the model was trained on
 * (category codes, boolean spellings, ranges) is exactly what serving must accept.
 *
 * Encoding: one float32 per feature in FEATURES order; numbers as themselves, booleans 0/1,
 * categories as their index in the feature's category list, and a missing value as NaN
 * (the trees send NaN down a learned default branch).
 */

import { FEATURES, FEATURE_COUNT, getFeature, type CategoryFeature, type Feature } from "./schema.js";
import { sha256Hex } from "./sha256.js";

export type FeatureValue = number | boolean | string;

/** Validated, normalised features: only present values, canonical spellings. */
export type FeatureValues = Readonly<Record<string, FeatureValue>>;

export type ValidationRule = "type" | "finite" | "integer" | "range" | "category" | "boolean";

export interface ValidationIssue {
  readonly field: string;
  readonly rule: ValidationRule;
  readonly message: string;
}

export interface ValidateFeaturesResult {
  readonly values: FeatureValues;
  readonly issues: readonly ValidationIssue[];
  /** Keys of the input that are not features (the caller decides whether they are an error). */
  readonly unknownFields: readonly string[];
}

/** Lower-case and drop everything but letters and digits: "Series A", "series-a", "SERIES_A" meet. */
function squash(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Spellings FLASH clients send that squashing alone does not map to a canonical category. */
const CATEGORY_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  funding_stage: {
    preseedround: "pre_seed",
    seedround: "seed",
    a: "series_a",
    b: "series_b",
    c: "series_c",
    seriescplus: "series_c",
    seriesd: "series_c",
    seriese: "series_c",
    seriesf: "series_c",
    seriesg: "series_c",
    seriesh: "series_c",
    latestage: "series_c",
  },
  product_stage: {
    idea: "concept",
    prototype: "mvp",
    alpha: "beta",
    live: "launched",
    ga: "launched",
    scaling: "growth",
  },
  investor_tier_primary: {
    noinvestor: "none",
    angels: "angel",
    tier3: "tier_3",
    tier2: "tier_2",
    tier1: "tier_1",
  },
  sector: {
    ai: "ai_ml",
    ml: "ai_ml",
    artificialintelligence: "ai_ml",
    machinelearning: "ai_ml",
    health: "healthtech",
    healthcare: "healthtech",
    education: "edtech",
    financialservices: "fintech",
    consumertech: "consumer",
    b2bsaas: "saas",
    software: "saas",
  },
};

const CATEGORY_LOOKUP: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(
  FEATURES.filter((f): f is CategoryFeature => f.type === "category").map((f) => {
    const table = new Map<string, string>();
    for (const c of f.categories) table.set(squash(c), c);
    for (const [alias, c] of Object.entries(CATEGORY_ALIASES[f.name] ?? {})) table.set(alias, c);
    return [f.name, table];
  }),
);

/** The canonical category for a client's spelling, or undefined when it is not one. */
export function normalizeCategory(featureName: string, raw: string): string | undefined {
  return CATEGORY_LOOKUP.get(featureName)?.get(squash(raw));
}

const TRUE_WORDS = new Set(["true", "yes", "1", "y", "t"]);
const FALSE_WORDS = new Set(["false", "no", "0", "n", "f"]);

/** true/false, 0/1, "true"/"false", "yes"/"no" (any case); undefined when it is none of them. */
export function normalizeBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "number") return raw === 1 ? true : raw === 0 ? false : undefined;
  if (typeof raw === "string") {
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/** Validate one value; returns the normalised value or an issue. `null`/`undefined` mean missing. */
export function validateFeatureValue(
  feature: Feature,
  raw: unknown,
): { value?: FeatureValue; issue?: ValidationIssue } {
  const field = feature.name;
  if (raw === null || raw === undefined) return {};
  switch (feature.type) {
    case "number":
    case "integer": {
      if (typeof raw !== "number") {
        return { issue: { field, rule: "type", message: `${field} must be a number, got ${describe(raw)}` } };
      }
      if (!Number.isFinite(raw)) {
        return { issue: { field, rule: "finite", message: `${field} must be a finite number, got ${raw}` } };
      }
      if (feature.type === "integer" && !Number.isInteger(raw)) {
        return { issue: { field, rule: "integer", message: `${field} must be a whole number, got ${raw}` } };
      }
      if (raw < feature.min || raw > feature.max) {
        return {
          issue: {
            field,
            rule: "range",
            message: `${field} must be between ${feature.min} and ${feature.max} (${feature.unit}), got ${raw}`,
          },
        };
      }
      // -0 and 0 are the same startup; keep one spelling so canonical forms agree.
      return { value: raw === 0 ? 0 : raw };
    }
    case "boolean": {
      const value = normalizeBoolean(raw);
      if (value === undefined) {
        return {
          issue: {
            field,
            rule: "boolean",
            message: `${field} must be true/false, 1/0 or "yes"/"no", got ${describe(raw)}`,
          },
        };
      }
      return { value };
    }
    case "category": {
      if (typeof raw !== "string") {
        return { issue: { field, rule: "type", message: `${field} must be a string, got ${describe(raw)}` } };
      }
      const value = normalizeCategory(field, raw);
      if (value === undefined) {
        return {
          issue: {
            field,
            rule: "category",
            message: `${field} must be one of ${feature.categories.join(", ")}; got ${describe(raw)}`,
          },
        };
      }
      return { value };
    }
  }
}

/**
 * Validate a whole feature object. Every problem is reported (not just the first), and keys that
 * are not features are listed separately so the API can warn or refuse as the client asked.
 */
export function validateFeatures(
  input: Readonly<Record<string, unknown>>,
  ignoredFields: ReadonlySet<string> = new Set(),
): ValidateFeaturesResult {
  const values: Record<string, FeatureValue> = {};
  const issues: ValidationIssue[] = [];
  const unknownFields: string[] = [];
  for (const key of Object.keys(input)) {
    const feature = getFeature(key);
    if (!feature) {
      if (!ignoredFields.has(key)) unknownFields.push(key);
      continue;
    }
    const { value, issue } = validateFeatureValue(feature, input[key]);
    if (issue) issues.push(issue);
    else if (value !== undefined) values[key] = value;
  }
  return { values, issues, unknownFields };
}

/** Encode one feature value (already validated) as the model sees it. */
export function encodeValue(feature: Feature, value: FeatureValue | undefined): number {
  if (value === undefined) return Number.NaN;
  switch (feature.type) {
    case "number":
    case "integer":
      return value as number;
    case "boolean":
      return value ? 1 : 0;
    case "category":
      return feature.categories.indexOf(value as string);
  }
}

/** Write one row into `out` at row `row` (row-major, FEATURE_COUNT columns). */
export function encodeFeaturesInto(values: FeatureValues, out: Float32Array, row = 0): void {
  const base = row * FEATURE_COUNT;
  for (let i = 0; i < FEATURE_COUNT; i++) {
    const feature = FEATURES[i]!;
    out[base + i] = encodeValue(feature, values[feature.name]);
  }
}

export function encodeFeatures(values: FeatureValues): Float32Array {
  const out = new Float32Array(FEATURE_COUNT);
  encodeFeaturesInto(values, out);
  return out;
}

/**
 * A stable text form of validated features: schema order, canonical spellings, missing omitted.
 * Two requests that mean the same startup have the same canonical form (the cache key's basis).
 */
export function canonicalizeFeatures(values: FeatureValues): string {
  // Schema order needs no sort; the feature's index stands for its name. JSON of each value keeps
  // types apart (1 vs "1" vs true) and folds -0 into 0, like the validation does.
  let out = "";
  for (let i = 0; i < FEATURE_COUNT; i++) {
    const value = values[FEATURES[i]!.name];
    if (value === undefined) continue;
    out += typeof value === "number" ? `${i}=${value === 0 ? 0 : value};` : `${i}=${JSON.stringify(value)};`;
  }
  return out;
}

/** Share of the 45 features that are present. */
export function computeCompleteness(values: FeatureValues): number {
  let present = 0;
  for (const f of FEATURES) if (values[f.name] !== undefined) present++;
  return present / FEATURE_COUNT;
}

/**
 * Hash of everything that defines the input vector (order, types, category codes, missing
 * value). A manifest records it; the Worker refuses a model built for another encoding.
 */
export const ENCODING_VERSION = 1;
export const ENCODING_HASH: string = sha256Hex(
  JSON.stringify({
    version: ENCODING_VERSION,
    missing: "NaN",
    dtype: "float32",
    features: FEATURES.map((f) => [f.name, f.type, f.type === "category" ? f.categories : null]),
  }),
);

/**
 * A feature map says how a model trained elsewhere sees a startup: which of FLASH's 45 features
 * each of its input columns is, how categories were encoded there (ordinal codes of its own, or
 * one-hot columns), and how it was told a value is missing (NaN, or a sentinel such as -1).
 *
 * `npm run model:import` reads one from JSON (`parseFeatureMap`, every problem named by field and
 * rule), and compiles it once (`compileFeatureMap`) into per-column rules over the Worker's own
 * encoded row (core/encoding.ts: FEATURES order, category codes, NaN = missing). The same compiled
 * rules build the ONNX nodes that turn the Worker's `features` into the model's input
 * (model-build/src/import-graph.ts) and compute those columns in TypeScript for the tree walk
 * (core/onnx-trees.ts), so the two cannot disagree on what a column holds.
 */

import { normalizeCategory } from "./encoding.js";
import { FEATURES, getFeature, getFeatureIndex, type Feature } from "./schema.js";

export const FEATURE_MAP_FORMAT = "flash-feature-map/1";

/** How a column holds "no value": NaN, or a number the model was trained with instead. */
export type MissingEncoding = number | "NaN";

export type ColumnEncoding = "value" | "ordinal" | "one_hot" | "missing_indicator" | "constant";

export interface ColumnSpec {
  /** The FLASH feature (core/schema.ts name); absent only for a constant column. */
  readonly feature?: string;
  /**
   * value: the number itself (booleans 0/1); ordinal: a category's code (`codes`, or FLASH's own
   * code when omitted); one_hot: 1 for `category`, 0 for any other; missing_indicator: 1 when
   * the feature is missing, else 0; constant: always `value` (a column FLASH has no feature for).
   * Default: value for numbers and booleans, ordinal for categories.
   */
  readonly encoding?: ColumnEncoding;
  /** ordinal: category (or "true"/"false" for a boolean) -> the model's code. */
  readonly codes?: Readonly<Record<string, number>>;
  /** ordinal: the code of a category missing from `codes` (default: every category must be listed). */
  readonly unknown?: MissingEncoding;
  /** one_hot: the category this column is 1 for. */
  readonly category?: string;
  /** What the column holds when the feature is missing (default: the map's `missing`; one_hot: 0). */
  readonly missing?: MissingEncoding;
  /** constant: the value. */
  readonly value?: number;
  /** A label for the column in reports (constant columns have no feature to name them). */
  readonly name?: string;
}

export interface FeatureMap {
  readonly format: typeof FEATURE_MAP_FORMAT;
  /** The model's input tensor (default: its only input). */
  readonly input?: string;
  /** The model output holding the class probabilities (default: found from the graph). */
  readonly output?: string;
  /** The label of the class "success" is (default: 1, "1", "true" or "success"). */
  readonly positive_class?: string | number | boolean;
  /** Default missing encoding of value and ordinal columns (default "NaN"). */
  readonly missing?: MissingEncoding;
  /** The model's input columns in order. */
  readonly columns: readonly ColumnSpec[];
}

export interface FeatureMapIssue {
  /** Where in the JSON, e.g. "columns[3].codes". */
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

export class FeatureMapError extends Error {
  override readonly name = "FeatureMapError";
  constructor(readonly issues: readonly FeatureMapIssue[]) {
    super(`the feature map is invalid:\n${issues.map((i) => `  ${i.field}: ${i.message} (${i.rule})`).join("\n")}`);
  }
}

const ROOT_KEYS = new Set(["format", "input", "output", "positive_class", "missing", "columns", "description"]);
const COLUMN_KEYS = new Set(["feature", "encoding", "codes", "unknown", "category", "missing", "value", "name"]);
const ENCODINGS: readonly ColumnEncoding[] = ["value", "ordinal", "one_hot", "missing_indicator", "constant"];
/** A model with more inputs than this is not a FLASH model; the limit keeps a typo from allocating gigabytes. */
export const MAX_COLUMNS = 4096;

const describe = (v: unknown): string => (v === undefined ? "nothing" : JSON.stringify(v));

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkMissing(value: unknown, field: string, issues: FeatureMapIssue[]): void {
  if (value === "NaN") return;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    issues.push({ field, rule: "missing", message: `must be a finite number (the sentinel the model was trained with) or "NaN", got ${describe(value)}` });
  }
}

/** The categories a column's codes or one-hot name may use: a category feature's, or true/false. */
function categoriesOf(feature: Feature): readonly string[] {
  return feature.type === "category" ? feature.categories : ["false", "true"];
}

function canonicalCategory(feature: Feature, raw: string): string | undefined {
  if (feature.type === "category") return normalizeCategory(feature.name, raw);
  const word = raw.trim().toLowerCase();
  return word === "true" || word === "false" ? word : undefined;
}

function checkColumn(column: unknown, at: string, issues: FeatureMapIssue[]): void {
  if (!isObject(column)) {
    issues.push({ field: at, rule: "type", message: `must be an object such as {"feature": "runway_months"}, got ${describe(column)}` });
    return;
  }
  for (const key of Object.keys(column)) {
    if (!COLUMN_KEYS.has(key)) issues.push({ field: `${at}.${key}`, rule: "unknown_key", message: `is not a column field (use ${[...COLUMN_KEYS].join(", ")})` });
  }
  const encoding = column.encoding;
  if (encoding !== undefined && !ENCODINGS.includes(encoding as ColumnEncoding)) {
    issues.push({ field: `${at}.encoding`, rule: "encoding", message: `must be one of ${ENCODINGS.join(", ")}, got ${describe(encoding)}` });
    return;
  }
  if (column.missing !== undefined) checkMissing(column.missing, `${at}.missing`, issues);
  if (column.name !== undefined && (typeof column.name !== "string" || column.name === "")) {
    issues.push({ field: `${at}.name`, rule: "type", message: `must be a non-empty string, got ${describe(column.name)}` });
  }
  if (encoding === "constant") {
    if (column.feature !== undefined) issues.push({ field: `${at}.feature`, rule: "constant", message: "a constant column reads no feature: leave feature out" });
    if (typeof column.value !== "number" || !Number.isFinite(column.value)) {
      issues.push({ field: `${at}.value`, rule: "constant", message: `must be the finite number the column always holds, got ${describe(column.value)}` });
    }
    return;
  }
  if (typeof column.feature !== "string") {
    issues.push({ field: `${at}.feature`, rule: "required", message: `must name one of the 45 features (core/schema.ts), got ${describe(column.feature)}` });
    return;
  }
  const feature = getFeature(column.feature);
  if (!feature) {
    issues.push({ field: `${at}.feature`, rule: "feature", message: `${describe(column.feature)} is not one of the 45 features (core/schema.ts); a column FLASH has no feature for is {"encoding": "constant", "value": ...}` });
    return;
  }
  const kind = encoding ?? (feature.type === "category" ? "ordinal" : "value");
  // An encoding that does not fit the feature's type: its own fields would only add noise.
  const misfit =
    kind === "value" && feature.type === "category"
      ? "a category is ordinal or one_hot"
      : (kind === "ordinal" || kind === "one_hot") && feature.type !== "category" && feature.type !== "boolean"
        ? "a number is value or missing_indicator"
        : kind === "one_hot" && feature.type === "boolean"
          ? "a boolean is value (0/1) or ordinal with codes for true and false"
          : undefined;
  if (misfit !== undefined) {
    issues.push({ field: `${at}.encoding`, rule: "encoding", message: `${kind} does not apply to ${feature.name}, a ${feature.type} feature (${misfit})` });
    return;
  }
  for (const key of ["codes", "unknown"] as const) {
    if (column[key] !== undefined && kind !== "ordinal") issues.push({ field: `${at}.${key}`, rule: "encoding", message: `only applies to an ordinal column` });
  }
  if (column.category !== undefined && kind !== "one_hot") issues.push({ field: `${at}.category`, rule: "encoding", message: "only applies to a one_hot column" });
  if (column.value !== undefined) issues.push({ field: `${at}.value`, rule: "encoding", message: "only applies to a constant column" });
  if (kind === "missing_indicator" && column.missing !== undefined) issues.push({ field: `${at}.missing`, rule: "encoding", message: "a missing_indicator column is 1 when the feature is missing: it has no missing value of its own" });
  if (kind === "ordinal") {
    if (column.unknown !== undefined) checkMissing(column.unknown, `${at}.unknown`, issues);
    if (column.codes === undefined) {
      if (feature.type === "boolean") issues.push({ field: `${at}.codes`, rule: "required", message: 'a boolean as ordinal needs codes, e.g. {"false": 0, "true": 1} (or leave encoding out: value is 0/1)' });
    } else if (!isObject(column.codes)) {
      issues.push({ field: `${at}.codes`, rule: "type", message: `must be an object of category -> code, got ${describe(column.codes)}` });
    } else {
      const seen = new Set<string>();
      for (const [raw, code] of Object.entries(column.codes)) {
        const category = canonicalCategory(feature, raw);
        if (category === undefined) issues.push({ field: `${at}.codes.${raw}`, rule: "category", message: `${describe(raw)} is not a category of ${feature.name} (${categoriesOf(feature).join(", ")})` });
        else if (seen.has(category)) issues.push({ field: `${at}.codes.${raw}`, rule: "duplicate", message: `${category} is given a code twice` });
        else seen.add(category);
        if (typeof code !== "number" || !Number.isFinite(code)) issues.push({ field: `${at}.codes.${raw}`, rule: "code", message: `must be a finite number, got ${describe(code)}` });
      }
      const unlisted = categoriesOf(feature).filter((c) => !seen.has(c));
      if (unlisted.length > 0 && column.unknown === undefined) {
        issues.push({ field: `${at}.codes`, rule: "codes", message: `has no code for ${unlisted.join(", ")}: list them, or give "unknown" (the code, or "NaN", they get)` });
      }
    }
  }
  if (kind === "one_hot") {
    if (typeof column.category !== "string") issues.push({ field: `${at}.category`, rule: "required", message: `must name the category this column is 1 for (${categoriesOf(feature).join(", ")}), got ${describe(column.category)}` });
    else if (canonicalCategory(feature, column.category) === undefined) {
      issues.push({ field: `${at}.category`, rule: "category", message: `${describe(column.category)} is not a category of ${feature.name} (${categoriesOf(feature).join(", ")})` });
    }
  }
}

/** Every problem with a parsed feature map JSON value (empty when it is usable). */
export function checkFeatureMap(value: unknown): FeatureMapIssue[] {
  const issues: FeatureMapIssue[] = [];
  if (!isObject(value)) return [{ field: "(root)", rule: "type", message: `must be a JSON object with "format" and "columns", got ${describe(value)}` }];
  for (const key of Object.keys(value)) {
    if (!ROOT_KEYS.has(key)) issues.push({ field: key, rule: "unknown_key", message: `is not a feature map field (use ${[...ROOT_KEYS].join(", ")})` });
  }
  if (value.format !== FEATURE_MAP_FORMAT) issues.push({ field: "format", rule: "format", message: `must be ${JSON.stringify(FEATURE_MAP_FORMAT)}, got ${describe(value.format)}` });
  for (const key of ["input", "output"] as const) {
    if (value[key] !== undefined && (typeof value[key] !== "string" || value[key] === "")) {
      issues.push({ field: key, rule: "type", message: `must be the name of a tensor of the model, got ${describe(value[key])}` });
    }
  }
  const positive = value.positive_class;
  if (positive !== undefined && typeof positive !== "string" && typeof positive !== "boolean" && !(typeof positive === "number" && Number.isInteger(positive))) {
    issues.push({ field: "positive_class", rule: "type", message: `must be the success class's label (an integer, a string or a boolean), got ${describe(positive)}` });
  }
  if (value.missing !== undefined) checkMissing(value.missing, "missing", issues);
  const columns = value.columns;
  if (!Array.isArray(columns) || columns.length === 0) {
    issues.push({ field: "columns", rule: "required", message: `must be a non-empty array with one entry per model input column, got ${describe(columns)}` });
  } else if (columns.length > MAX_COLUMNS) {
    issues.push({ field: "columns", rule: "size", message: `has ${columns.length} entries, at most ${MAX_COLUMNS}` });
  } else {
    columns.forEach((c, i) => checkColumn(c, `columns[${i}]`, issues));
  }
  return issues;
}

/** The feature map in `value`, or a FeatureMapError listing every problem. */
export function parseFeatureMap(value: unknown): FeatureMap {
  const issues = checkFeatureMap(value);
  if (issues.length > 0) throw new FeatureMapError(issues);
  return value as unknown as FeatureMap;
}

/** One model input column as a rule over the Worker's encoded row. */
export interface CompiledColumn {
  readonly encoding: ColumnEncoding;
  /** Index of the FLASH feature it reads (FEATURES order), -1 for a constant. */
  readonly source: number;
  /** ordinal and one_hot: FLASH category code -> the column's value. */
  readonly lookup: Float32Array | null;
  /** The column's value when the feature is missing (NaN allowed); a constant's value. */
  readonly missing: number;
  /** For reports: "sector = saas (one-hot)" and the like. */
  readonly label: string;
}

export interface CompiledFeatureMap {
  readonly map: FeatureMap;
  readonly width: number;
  readonly columns: readonly CompiledColumn[];
  /** The FLASH feature each column reads, -1 for constants. */
  readonly group: Int32Array;
  /** Each column's value when its feature is missing (what withholding the feature gives). */
  readonly withheld: Float32Array;
  /** The model's columns for the encoded row at `x[xOffset..]`, written to `out[outOffset..]` as float32. */
  compute(x: ArrayLike<number>, xOffset: number, out: Float32Array, outOffset: number): void;
  /** Indices of the FLASH features no column reads. */
  readonly unusedFeatures: readonly number[];
}

const missingNumber = (m: MissingEncoding | undefined, fallback: number): number => (m === undefined ? fallback : m === "NaN" ? Number.NaN : m);

export function compileFeatureMap(map: FeatureMap): CompiledFeatureMap {
  const defaultMissing = missingNumber(map.missing, Number.NaN);
  const columns: CompiledColumn[] = map.columns.map((spec) => {
    if (spec.encoding === "constant") {
      return { encoding: "constant", source: -1, lookup: null, missing: Math.fround(spec.value!), label: `${spec.name ?? "constant"} = ${spec.value} (constant)` };
    }
    const feature = getFeature(spec.feature!)!;
    const source = getFeatureIndex(feature.name)!;
    const encoding: ColumnEncoding = spec.encoding ?? (feature.type === "category" ? "ordinal" : "value");
    const missing = Math.fround(missingNumber(spec.missing, encoding === "one_hot" ? 0 : defaultMissing));
    const categories = categoriesOf(feature);
    if (encoding === "ordinal") {
      const unknown = Math.fround(missingNumber(spec.unknown, Number.NaN));
      const lookup = new Float32Array(categories.length);
      categories.forEach((c, code) => {
        lookup[code] = spec.codes === undefined ? code : unknown;
      });
      for (const [raw, value] of Object.entries(spec.codes ?? {})) lookup[categories.indexOf(canonicalCategory(feature, raw)!)] = value;
      return { encoding, source, lookup, missing, label: `${feature.name} (${spec.codes === undefined ? "FLASH's codes" : "codes of its own"})` };
    }
    if (encoding === "one_hot") {
      const category = canonicalCategory(feature, spec.category!)!;
      const lookup = new Float32Array(categories.length);
      lookup[categories.indexOf(category)] = 1;
      return { encoding, source, lookup, missing, label: `${feature.name} = ${category} (one-hot)` };
    }
    if (encoding === "missing_indicator") return { encoding, source, lookup: null, missing: 1, label: `${feature.name} is missing (indicator)` };
    return { encoding, source, lookup: null, missing, label: `${feature.name} (value)` };
  });
  const width = columns.length;
  const group = Int32Array.from(columns, (c) => c.source);
  const withheld = Float32Array.from(columns, (c) => c.missing);
  const used = new Set(columns.map((c) => c.source));
  const compute = (x: ArrayLike<number>, xOffset: number, out: Float32Array, outOffset: number): void => {
    for (let j = 0; j < width; j++) {
      const c = columns[j]!;
      if (c.source < 0) {
        out[outOffset + j] = c.missing;
        continue;
      }
      const v = x[xOffset + c.source]!;
      if (v !== v) out[outOffset + j] = c.missing;
      else if (c.encoding === "missing_indicator") out[outOffset + j] = 0;
      else if (c.lookup !== null) out[outOffset + j] = c.lookup[v]!;
      else out[outOffset + j] = v;
    }
  };
  return {
    map,
    width,
    columns,
    group,
    withheld,
    compute,
    unusedFeatures: FEATURES.flatMap((_, i) => (used.has(i) ? [] : [i])),
  };
}

/** True when the map is FLASH's own encoding: the 45 features in order, as values/FLASH codes, NaN missing. */
export function isIdentityMap(compiled: CompiledFeatureMap): boolean {
  return (
    compiled.width === FEATURES.length &&
    compiled.columns.every((c, j) => c.source === j && Number.isNaN(c.missing) && (c.encoding === "value" || (c.encoding === "ordinal" && c.lookup!.every((v, k) => v === k))))
  );
}

/**
 * The API's request bodies, checked in one place: what /predict, /predict/batch and /scenarios
 * accept, and every problem with a body (not just the first), each naming its field and rule.
 * Pure: the Worker parses JSON and calls these; Node tests call them directly.
 */

import { validateFeatureValue, validateFeatures, type FeatureValue, type FeatureValues } from "./encoding.js";
import type { ApiIssue } from "./errors.js";
import { getFeature } from "./schema.js";
import { describeUnknownField, warnUnknownFields, type Warning } from "./warnings.js";

export type { ApiIssue } from "./errors.js";

export interface ParseOptions {
  /** Unknown fields are errors (422) instead of warnings. */
  readonly strict?: boolean;
}

/** Accepted beside the features and ignored (FLASH v1 clients send it). */
export const IGNORED_FIELDS: ReadonlySet<string> = new Set(["startup_name"]);

export const MAX_BATCH_ITEMS = 100;
export const MAX_SCENARIOS = 50;
export const MAX_SCENARIO_NAME_LENGTH = 100;

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly ApiIssue[] };

export interface ParsedStartup {
  readonly values: FeatureValues;
  /** Unknown-field warnings (per request: they depend on the spelling, not on the startup). */
  readonly warnings: readonly Warning[];
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function prefixed(prefix: string, field: string): string {
  return prefix === "" ? field : `${prefix}.${field}`;
}

/** One startup's features (the /predict body, a batch item, a scenario base). */
export function parseStartup(input: unknown, options: ParseOptions = {}, path = ""): ParseResult<ParsedStartup> {
  if (!isPlainObject(input)) {
    return {
      ok: false,
      issues: [
        {
          field: path || "body",
          rule: "object",
          message: `${path || "the body"} must be a JSON object of features, got ${describeType(input)}`,
        },
      ],
    };
  }
  const { values, issues, unknownFields } = validateFeatures(input, IGNORED_FIELDS);
  const all: ApiIssue[] = issues.map((i) => ({ ...i, field: prefixed(path, i.field), message: prefixed(path, i.message) }));
  if (options.strict) {
    for (const field of unknownFields) {
      const { message } = describeUnknownField(field);
      all.push({ field: prefixed(path, field), rule: "unknown_field", message: `${message} (strict mode refuses unknown fields)` });
    }
  }
  if (all.length > 0) return { ok: false, issues: all };
  return { ok: true, value: { values, warnings: options.strict ? [] : warnUnknownFields(unknownFields) } };
}

export type BatchItem = { readonly ok: true; readonly value: ParsedStartup } | { readonly ok: false; readonly issues: readonly ApiIssue[] };

/**
 * A batch body: `{"startups": [...]}` (or a bare array). The envelope must be right or the whole
 * request fails; each item is then checked on its own, so one bad startup does not fail the rest.
 */
export function parseBatch(input: unknown, options: ParseOptions = {}): ParseResult<readonly BatchItem[]> {
  let list: unknown;
  if (Array.isArray(input)) list = input;
  else if (isPlainObject(input)) {
    const extra = Object.keys(input).filter((k) => k !== "startups");
    if (!("startups" in input)) {
      return { ok: false, issues: [{ field: "startups", rule: "required", message: 'the body must have a "startups" array' }] };
    }
    if (options.strict && extra.length > 0) {
      return {
        ok: false,
        issues: extra.map((k) => ({ field: k, rule: "unknown_field", message: `${JSON.stringify(k)} is not part of a batch request` })),
      };
    }
    list = input.startups;
  } else {
    return {
      ok: false,
      issues: [{ field: "body", rule: "object", message: `the body must be {"startups": [...]}, got ${describeType(input)}` }],
    };
  }
  if (!Array.isArray(list)) {
    return { ok: false, issues: [{ field: "startups", rule: "type", message: `startups must be an array, got ${describeType(list)}` }] };
  }
  if (list.length === 0) {
    return { ok: false, issues: [{ field: "startups", rule: "min_items", message: "startups must hold at least one startup" }] };
  }
  if (list.length > MAX_BATCH_ITEMS) {
    return {
      ok: false,
      issues: [
        {
          field: "startups",
          rule: "max_items",
          message: `startups holds ${list.length} items; at most ${MAX_BATCH_ITEMS} per request (split the batch)`,
        },
      ],
    };
  }
  return { ok: true, value: list.map((item, i) => parseStartup(item, options, `startups[${i}]`)) };
}

export interface ScenarioChange {
  readonly name: string;
  /** Validated new values; null removes the feature (what if we did not know it). */
  readonly changes: Readonly<Record<string, FeatureValue | null>>;
}

export interface ParsedScenarioRequest {
  readonly base: ParsedStartup;
  /** Undefined: the client asked for the standard what-ifs. */
  readonly scenarios: readonly ScenarioChange[] | undefined;
}

function parseChanges(input: unknown, path: string): ParseResult<Record<string, FeatureValue | null>> {
  if (!isPlainObject(input)) {
    return { ok: false, issues: [{ field: path, rule: "object", message: `${path} must be an object of feature values, got ${describeType(input)}` }] };
  }
  const issues: ApiIssue[] = [];
  const changes: Record<string, FeatureValue | null> = {};
  for (const [key, raw] of Object.entries(input)) {
    const feature = getFeature(key);
    if (!feature) {
      // A what-if on a field the model does not read would silently show no effect: refuse it.
      issues.push({ field: `${path}.${key}`, rule: "unknown_field", message: describeUnknownField(key).message });
      continue;
    }
    if (raw === null) {
      changes[key] = null;
      continue;
    }
    const { value, issue } = validateFeatureValue(feature, raw);
    if (issue) issues.push({ ...issue, field: `${path}.${key}`, message: `${path}.${issue.message}` });
    else if (value !== undefined) changes[key] = value;
  }
  if (Object.keys(input).length === 0) {
    issues.push({ field: path, rule: "min_items", message: `${path} must change at least one feature` });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: changes };
}

/** A /scenarios body: `{"base": {...}, "scenarios": [{"name", "changes": {...}}]}`. */
export function parseScenarioRequest(input: unknown, options: ParseOptions = {}): ParseResult<ParsedScenarioRequest> {
  if (!isPlainObject(input)) {
    return {
      ok: false,
      issues: [{ field: "body", rule: "object", message: `the body must be {"base": {...}, "scenarios": [...]}, got ${describeType(input)}` }],
    };
  }
  const issues: ApiIssue[] = [];
  for (const key of Object.keys(input)) {
    if (key !== "base" && key !== "scenarios") {
      issues.push({ field: key, rule: "unknown_field", message: `${JSON.stringify(key)} is not part of a scenarios request (base, scenarios)` });
    }
  }
  let base: ParsedStartup | undefined;
  if (!("base" in input)) {
    issues.push({ field: "base", rule: "required", message: "base (the startup's features) is required" });
  } else {
    const parsed = parseStartup(input.base, options, "base");
    if (parsed.ok) base = parsed.value;
    else issues.push(...parsed.issues);
  }
  let scenarios: ScenarioChange[] | undefined;
  if (input.scenarios !== undefined) {
    const list = input.scenarios;
    if (!Array.isArray(list)) {
      issues.push({ field: "scenarios", rule: "type", message: `scenarios must be an array of {name, changes}, got ${describeType(list)}` });
    } else if (list.length === 0) {
      issues.push({ field: "scenarios", rule: "min_items", message: "scenarios must hold at least one scenario (or leave it out for the standard ones)" });
    } else if (list.length > MAX_SCENARIOS) {
      issues.push({ field: "scenarios", rule: "max_items", message: `scenarios holds ${list.length} items; at most ${MAX_SCENARIOS}` });
    } else {
      scenarios = [];
      const seen = new Set<string>();
      list.forEach((item, i) => {
        const path = `scenarios[${i}]`;
        if (!isPlainObject(item)) {
          issues.push({ field: path, rule: "object", message: `${path} must be {name, changes}, got ${describeType(item)}` });
          return;
        }
        const name = item.name;
        if (typeof name !== "string" || name.trim() === "") {
          issues.push({ field: `${path}.name`, rule: "required", message: `${path}.name must be a non-empty string` });
        } else if (name.length > MAX_SCENARIO_NAME_LENGTH) {
          issues.push({ field: `${path}.name`, rule: "max_length", message: `${path}.name is longer than ${MAX_SCENARIO_NAME_LENGTH} characters` });
        } else if (seen.has(name)) {
          issues.push({ field: `${path}.name`, rule: "unique", message: `${path}.name ${JSON.stringify(name)} is used twice` });
        } else seen.add(name);
        for (const key of Object.keys(item)) {
          if (key !== "name" && key !== "changes") {
            issues.push({ field: `${path}.${key}`, rule: "unknown_field", message: `${path}.${key} is not part of a scenario (name, changes)` });
          }
        }
        const changes = parseChanges(item.changes, `${path}.changes`);
        if (!changes.ok) issues.push(...changes.issues);
        else if (typeof name === "string") scenarios!.push({ name, changes: changes.value });
      });
    }
  }
  if (issues.length > 0 || !base) return { ok: false, issues };
  return { ok: true, value: { base, scenarios } };
}

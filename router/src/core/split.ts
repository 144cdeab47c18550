/**
 * The traffic split and its change log: which colour is stable, which is the candidate, how
 * much of the traffic the candidate gets and how much of the stable traffic is shadowed to it.
 * Pure: the Durable Object in durable/split-control.ts stores what these functions return.
 */
import { BUCKET_COUNT } from "./bucket";

import type { Color } from "../../../core/admin-api";

export { COLORS, type Color } from "../../../core/admin-api";
export type Role = "stable" | "candidate";
export const HISTORY_LIMIT = 100;

export function isColor(value: unknown): value is Color {
  return value === "blue" || value === "green";
}

export function otherColor(color: Color): Color {
  return color === "blue" ? "green" : "blue";
}

export interface Split {
  readonly stable: Color;
  readonly candidate: Color;
  /** Share of clients sent to the candidate, 0..100 (hundredths of a percent are honoured). */
  readonly candidate_percent: number;
  /** Share of the stable version's /predict requests also sent to the candidate, 0..100. */
  readonly shadow_percent: number;
  readonly revision: number;
  readonly updated_at: string;
  readonly updated_by: string;
  readonly reason: string;
}

export type SplitAction = "init" | "set" | "rollback" | "promote";

export interface SplitChange {
  readonly revision: number;
  readonly action: SplitAction;
  readonly at: string;
  readonly by: string;
  readonly reason: string;
  readonly from: { readonly stable: Color; readonly candidate_percent: number; readonly shadow_percent: number };
  readonly to: { readonly stable: Color; readonly candidate_percent: number; readonly shadow_percent: number };
}

/** The split and its last changes, newest first. */
export interface SplitRecord {
  readonly split: Split;
  readonly history: readonly SplitChange[];
}

export interface Routing {
  readonly color: Color;
  readonly role: Role;
}

/**
 * The version for a bucket: buckets below candidate_percent * 100 go to the candidate. A higher
 * weight only adds buckets to the candidate's side, so clients never move back to stable.
 */
export function chooseVersion(split: Split, bucket: number): Routing {
  const threshold = Math.round(split.candidate_percent * (BUCKET_COUNT / 100));
  return bucket < threshold ? { color: split.candidate, role: "candidate" } : { color: split.stable, role: "stable" };
}

/** Whether a stable request is shadowed; `random` in [0, 1). */
export function shouldShadow(split: Split, random: () => number): boolean {
  return split.shadow_percent > 0 && random() * 100 < split.shadow_percent;
}

export function initialSplit(now: Date, stable: Color = "blue"): SplitRecord {
  const split: Split = {
    stable,
    candidate: otherColor(stable),
    candidate_percent: 0,
    shadow_percent: 0,
    revision: 1,
    updated_at: now.toISOString(),
    updated_by: "system",
    reason: "initial split: all traffic on the stable version",
  };
  const state = { stable, candidate_percent: 0, shadow_percent: 0 };
  return {
    split,
    history: [{ revision: 1, action: "init", at: split.updated_at, by: "system", reason: split.reason, from: state, to: state }],
  };
}

/** What an admin asks for; parsed from JSON by parseSplitUpdate. */
export interface SplitUpdate {
  readonly candidate_percent: number;
  readonly shadow_percent?: number;
  readonly reason: string;
  readonly expected_revision?: number;
  readonly updated_by?: string;
}

export interface ActionInput {
  readonly reason: string;
  readonly expected_revision?: number;
  readonly updated_by?: string;
  /** promote only: allow promoting a candidate that does not have 100% yet. */
  readonly force?: boolean;
}

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: FieldProblem };

export type ChangeResult =
  | { readonly ok: true; readonly record: SplitRecord }
  | { readonly ok: false; readonly kind: "conflict"; readonly message: string; readonly current: Split };

const MAX_REASON = 500;
const MAX_ACTOR = 100;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parsePercent(body: Record<string, unknown>, field: string, required: boolean): Parsed<number | undefined> {
  const value = body[field];
  if (value === undefined) {
    return required
      ? { ok: false, problem: { field, message: `${field} is required: a number from 0 to 100` } }
      : { ok: true, value: undefined };
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return { ok: false, problem: { field, message: `${field} must be a number from 0 to 100, got ${JSON.stringify(value)}` } };
  }
  if (value < 0 || value > 100) {
    return { ok: false, problem: { field, message: `${field} must be between 0 and 100, got ${value}` } };
  }
  return { ok: true, value };
}

function parseText(body: Record<string, unknown>, field: string, max: number, required: boolean): Parsed<string | undefined> {
  const value = body[field];
  if (value === undefined || value === null) {
    return required ? { ok: false, problem: { field, message: `${field} is required: say why (1 to ${max} characters)` } } : { ok: true, value: undefined };
  }
  if (typeof value !== "string" || value.trim().length === 0 || value.length > max) {
    return { ok: false, problem: { field, message: `${field} must be a string of 1 to ${max} characters` } };
  }
  return { ok: true, value: value.trim() };
}

function parseRevision(body: Record<string, unknown>): Parsed<number | undefined> {
  const value = body.expected_revision;
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    return { ok: false, problem: { field: "expected_revision", message: "expected_revision must be a non-negative integer (the revision you read)" } };
  }
  return { ok: true, value };
}

function parseActionFields(body: Record<string, unknown>, reasonRequired: boolean, defaultReason: string): Parsed<ActionInput> {
  const reason = parseText(body, "reason", MAX_REASON, reasonRequired);
  if (!reason.ok) return reason;
  const by = parseText(body, "updated_by", MAX_ACTOR, false);
  if (!by.ok) return by;
  const revision = parseRevision(body);
  if (!revision.ok) return revision;
  if (body.force !== undefined && typeof body.force !== "boolean") {
    return { ok: false, problem: { field: "force", message: "force must be true or false" } };
  }
  return {
    ok: true,
    value: {
      reason: reason.value ?? defaultReason,
      ...(revision.value !== undefined ? { expected_revision: revision.value } : {}),
      ...(by.value !== undefined ? { updated_by: by.value } : {}),
      ...(body.force === true ? { force: true } : {}),
    },
  };
}

/** Checks the body of `PUT /admin/split`. */
export function parseSplitUpdate(body: unknown): Parsed<SplitUpdate> {
  if (!isRecord(body)) {
    return { ok: false, problem: { field: "body", message: 'the body must be a JSON object like {"candidate_percent": 5, "reason": "canary"}' } };
  }
  const candidate = parsePercent(body, "candidate_percent", true);
  if (!candidate.ok) return candidate;
  const shadow = parsePercent(body, "shadow_percent", false);
  if (!shadow.ok) return shadow;
  const rest = parseActionFields(body, true, "");
  if (!rest.ok) return rest;
  return {
    ok: true,
    value: {
      candidate_percent: candidate.value!,
      ...(shadow.value !== undefined ? { shadow_percent: shadow.value } : {}),
      reason: rest.value.reason,
      ...(rest.value.expected_revision !== undefined ? { expected_revision: rest.value.expected_revision } : {}),
      ...(rest.value.updated_by !== undefined ? { updated_by: rest.value.updated_by } : {}),
    },
  };
}

/** Checks the (optional) body of `POST /admin/rollback` and `POST /admin/promote`. */
export function parseActionInput(body: unknown, defaultReason: string): Parsed<ActionInput> {
  if (body === undefined || body === null) return { ok: true, value: { reason: defaultReason } };
  if (!isRecord(body)) return { ok: false, problem: { field: "body", message: 'the body must be a JSON object like {"reason": "..."}, or empty' } };
  return parseActionFields(body, false, defaultReason);
}

interface Next {
  readonly stable: Color;
  readonly candidate_percent: number;
  readonly shadow_percent: number;
}

function revisionConflict(current: Split, input: ActionInput): ChangeResult | null {
  if (input.expected_revision === undefined || input.expected_revision === current.revision) return null;
  return {
    ok: false,
    kind: "conflict",
    message: `the split is at revision ${current.revision}, not ${input.expected_revision}: someone changed it; read it again and retry`,
    current,
  };
}

function change(record: SplitRecord, action: SplitAction, next: Next, input: ActionInput, now: Date): ChangeResult {
  const current = record.split;
  const conflict = revisionConflict(current, input);
  if (conflict) return conflict;
  const at = now.toISOString();
  const by = input.updated_by ?? "admin";
  const split: Split = {
    stable: next.stable,
    candidate: otherColor(next.stable),
    candidate_percent: next.candidate_percent,
    shadow_percent: next.shadow_percent,
    revision: current.revision + 1,
    updated_at: at,
    updated_by: by,
    reason: input.reason,
  };
  const entry: SplitChange = {
    revision: split.revision,
    action,
    at,
    by,
    reason: input.reason,
    from: { stable: current.stable, candidate_percent: current.candidate_percent, shadow_percent: current.shadow_percent },
    to: { stable: split.stable, candidate_percent: split.candidate_percent, shadow_percent: split.shadow_percent },
  };
  return { ok: true, record: { split, history: [entry, ...record.history].slice(0, HISTORY_LIMIT) } };
}

export function applySplitUpdate(record: SplitRecord, update: SplitUpdate, now: Date): ChangeResult {
  const next = {
    stable: record.split.stable,
    candidate_percent: update.candidate_percent,
    shadow_percent: update.shadow_percent ?? record.split.shadow_percent,
  };
  return change(record, "set", next, update, now);
}

/** Candidate to 0% at once; shadowing stops too, so nothing reaches the failing version. */
export function applyRollback(record: SplitRecord, input: ActionInput, now: Date): ChangeResult {
  return change(record, "rollback", { stable: record.split.stable, candidate_percent: 0, shadow_percent: 0 }, input, now);
}

/**
 * The candidate becomes stable and the old stable colour becomes the candidate at 0%, ready
 * for the next deploy. Refused below 100% unless forced: promoting a 5% canary would send every
 * client to a version that has barely been seen.
 */
export function applyPromote(record: SplitRecord, input: ActionInput, now: Date): ChangeResult {
  const current = record.split;
  const conflict = revisionConflict(current, input);
  if (conflict) return conflict;
  if (current.candidate_percent < 100 && !input.force) {
    return {
      ok: false,
      kind: "conflict",
      message: `the candidate (${current.candidate}) has ${current.candidate_percent}% of the traffic; promote needs 100% (PUT /admin/split first) or "force": true`,
      current,
    };
  }
  return change(record, "promote", { stable: current.candidate, candidate_percent: 0, shadow_percent: 0 }, input, now);
}

/**
 * The error envelope both Workers answer with, declared once so the API, the router and the
 * scripts that parse their answers cannot drift:
 * `{"error": {"status", "code", "message", "issues": [{field, rule, message}]}}`.
 * `issues` is always there (empty when no field is at fault), so a client reads one shape;
 * an answer may carry more fields beside `error` (the router's 409 adds the current `split`).
 */

/** One problem with a request: the field at fault, the rule it broke, a sentence saying so. */
export interface ApiIssue {
  /** Where the problem is: a feature name, `body`, or a path like `startups[2].runway_months`. */
  readonly field: string;
  /** The rule broken: type, finite, integer, range, category, boolean, unknown_field, required, ... */
  readonly rule: string;
  readonly message: string;
}

export interface ErrorBody {
  readonly error: {
    readonly status: number;
    readonly code: string;
    readonly message: string;
    readonly issues: readonly ApiIssue[];
  };
}

export function buildErrorBody(status: number, code: string, message: string, issues: readonly ApiIssue[] = []): ErrorBody {
  return { error: { status, code, message, issues } };
}

/** Problems with a value that should be an ErrorBody (empty list when it is one). */
export function checkErrorBody(value: unknown): string[] {
  if (typeof value !== "object" || value === null || !("error" in value)) return ["body has no error object"];
  const e = (value as { error: unknown }).error;
  if (typeof e !== "object" || e === null) return ["error must be an object"];
  const { status, code, message, issues } = e as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599) problems.push("error.status must be an HTTP error status");
  if (typeof code !== "string" || code === "") problems.push("error.code must be a non-empty string");
  if (typeof message !== "string" || message === "") problems.push("error.message must be a non-empty string");
  if (!Array.isArray(issues)) problems.push("error.issues must be an array");
  else {
    issues.forEach((issue: unknown, i) => {
      const r = issue as Record<string, unknown> | null;
      if (typeof r !== "object" || r === null || typeof r.field !== "string" || typeof r.rule !== "string" || typeof r.message !== "string") {
        problems.push(`error.issues[${i}] must be {field, rule, message} strings`);
      }
    });
  }
  return problems;
}

/**
 * The router's errors. 4xx (and the admin API's 503 when it has no token) are `RequestError`s:
 * an HTTPException with a code and the field at fault. A version that fails is not an error of
 * the router: it becomes a recorded attempt (upstream.ts) and, without a fallback, a 502/504
 * answer with the same error shape. Anything else is a bug, logged and answered 500 in onError.
 */
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { buildErrorBody, type ErrorBody } from "../../core/errors.js";

export class RequestError extends HTTPException {
  readonly code: string;
  readonly field: string | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(status: ContentfulStatusCode, code: string, message: string, options: { field?: string; extra?: Record<string, unknown> } = {}) {
    super(status, { message });
    this.code = code;
    this.field = options.field;
    this.extra = options.extra;
  }
}

/** The API's error shape (core/errors.ts), so clients parse one format from both Workers. */
export function errorBody(status: number, code: string, message: string, field?: string): ErrorBody {
  return buildErrorBody(status, code, message, field === undefined ? [] : [{ field, rule: code, message }]);
}

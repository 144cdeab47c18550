/**
 * Errors and their JSON form. Client mistakes are HTTPExceptions carrying a ready JSON answer
 * (4xx); server-side conditions are a few typed classes that `handleError` maps to 5xx (the
 * request log writes them, with the error, in the request's one line). Every error body has the
 * one shape of core/errors.ts.
 */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { API_ROUTES } from "../../core/api-routes.js";
import { buildErrorBody, type ApiIssue } from "../../core/errors.js";

export { buildErrorBody };

function jsonResponse(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** A 4xx answer: the HTTPException carries its JSON response, so onError returns it as is. */
export function createClientError(
  status: ContentfulStatusCode,
  code: string,
  message: string,
  issues?: readonly ApiIssue[],
  headers?: Record<string, string>,
): HTTPException {
  return new HTTPException(status, { message, res: jsonResponse(buildErrorBody(status, code, message, issues), status, headers) });
}

/** 422 for a body that parsed but broke rules, listing every problem. */
export function createValidationError(issues: readonly ApiIssue[]): HTTPException {
  const message =
    issues.length === 1 ? issues[0]!.message : `${issues.length} problems with the request: ${issues.map((i) => i.field).join(", ")}`;
  return createClientError(422, "invalid_request", message, issues);
}

/** The model cannot serve (checksum mismatch, failed load, wrong version): 503. */
export class ModelUnavailableError extends Error {
  override readonly name = "ModelUnavailableError";
}

/** An error injected on purpose (FAULT_ERROR_RATE): 500, so routers and alerts see a failure. */
export class FaultInjectedError extends Error {
  override readonly name = "FaultInjectedError";
}

/**
 * The one onError: JSON for everything. It logs nothing itself: the request log
 * (middleware/request-log.ts) writes the request's one line, and for a 5xx that line carries
 * this error (Hono keeps it in `c.error`), so a failure is one line, not two.
 */
export function handleError(err: Error, _c: Context): Response {
  if (err instanceof HTTPException) {
    const res = err.getResponse();
    if (res.headers.get("content-type")?.includes("application/json")) return res;
    return jsonResponse(buildErrorBody(err.status, "http_error", err.message || res.statusText), err.status);
  }
  if (err instanceof ModelUnavailableError) {
    return jsonResponse(buildErrorBody(503, "model_unavailable", err.message), 503, { "retry-after": "5" });
  }
  if (err instanceof FaultInjectedError) {
    return jsonResponse(buildErrorBody(500, "fault_injected", err.message), 500);
  }
  return jsonResponse(buildErrorBody(500, "internal_error", "internal error; it was logged"), 500);
}

/** Where each path exists, which methods it allows (for 405 vs 404): core/api-routes.ts. */
export const ROUTE_METHODS = API_ROUTES;

/** 405 with Allow for a known path, else 404 naming the endpoints. */
export function handleNotFound(c: Context): Response {
  const allowed = ROUTE_METHODS[c.req.path];
  if (allowed) {
    return jsonResponse(
      buildErrorBody(405, "method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(" or ")}`),
      405,
      { allow: allowed.join(", ") },
    );
  }
  return jsonResponse(
    buildErrorBody(404, "not_found", `no endpoint ${c.req.path}; see /docs (endpoints: ${Object.keys(ROUTE_METHODS).join(", ")})`),
    404,
  );
}

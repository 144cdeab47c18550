/**
 * Reading a JSON request body defensively: the content type must be JSON (415), the body at
 * most 64 KB (256 KB for batches) whatever Content-Length claims (413, counted while
 * streaming), not empty (400),
 * valid UTF-8 (400) and valid JSON (400, with the position of the error).
 */

import { createClientError } from "../errors.js";

/** /predict and /scenarios: one startup is at most a few KB. */
export const MAX_BODY_BYTES = 64 * 1024;
/** /predict/batch: 100 startups with all 45 features need about 150 KB. */
export const MAX_BATCH_BODY_BYTES = 256 * 1024;

function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const type = value.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

function tooLarge(limit: number): never {
  throw createClientError(413, "body_too_large", `the body is larger than ${limit / 1024} KB; send less per request`, [
    { field: "body", rule: "size", message: `at most ${limit} bytes` },
  ]);
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) tooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  if (declared !== null) {
    // The common case: HTTP framing bounds the body by its declared length, so read it in one
    // native call (checked again, for a Request built in-process with a mismatched header).
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > limit) tooLarge(limit);
    return bytes;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The parsed JSON body (any JSON value; the caller checks its shape). */
export async function readJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  if (!isJsonContentType(request.headers.get("content-type"))) {
    const got = request.headers.get("content-type");
    throw createClientError(415, "unsupported_media_type", `send JSON with Content-Type: application/json (got ${got ? JSON.stringify(got) : "none"})`, [
      { field: "content-type", rule: "content_type", message: "must be application/json" },
    ]);
  }
  const bytes = await readLimited(request, limit);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw createClientError(400, "invalid_utf8", "the body is not valid UTF-8", [{ field: "body", rule: "utf8", message: "must be UTF-8 text" }]);
  }
  if (text.trim() === "") {
    throw createClientError(400, "empty_body", "the body is empty; send a JSON object of features", [
      { field: "body", rule: "required", message: "a JSON body is required" },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw createClientError(400, "malformed_json", `the body is not valid JSON: ${detail}`, [{ field: "body", rule: "json", message: detail }]);
  }
}

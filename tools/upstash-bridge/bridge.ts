/**
 * The local stand-in for Upstash: an HTTP server that speaks the Upstash REST protocol as
 * `@upstash/redis` uses it, in front of a real redis-server.
 *
 *   POST /             ["SET","k","v","EX",60]          -> {"result":"OK"}
 *   POST /pipeline     [["GET","a"],["INCR","b"]]       -> [{"result":...},{"error":"..."}]
 *   POST /multi-exec   [["SET","a","1"],["GET","a"]]    -> the same shape, run atomically
 *   GET  /get/k        path form (curl-friendly); a POST body is appended as the last argument
 *
 * `Authorization: Bearer <token>` (or `?_token=`), 401 otherwise. With `Upstash-Encoding: base64`
 * (the client's default) every string in a result is base64 of Redis's bytes, except the status
 * reply "OK"; numbers and nulls stay as they are, errors are never encoded. Status codes: 200 for
 * a result (pipelines answer 200 with per-command errors), 400 for a Redis error or a malformed
 * request, 401, 404, 405, 413, 503 when redis-server is unreachable, 504 when it does not answer.
 *
 * Test tooling only (never part of a Worker): when started with `control`, POST /__control/<action>
 * with the control token runs that action (stop/start/pause/resume Redis) so tests can take
 * Redis away in the middle of a run.
 */

import http from "node:http";
import { timingSafeEqual, createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import {
  RedisErrorReply,
  RedisSimpleString,
  RedisTimeoutError,
  RedisUnavailableError,
  RespPool,
  type RedisEndpoint,
  type RedisReply,
} from "./resp.js";

export interface BridgeControl {
  /** A bearer token distinct from the Redis token. */
  readonly token: string;
  readonly actions: Readonly<Record<string, () => unknown>>;
}

export interface UpstashBridgeOptions {
  readonly redis: RedisEndpoint;
  readonly token: string;
  /** Interface to listen on; loopback by default. */
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly maxBodyBytes?: number;
  readonly poolSize?: number;
  /** How long one request may wait for Redis before 504 (ms). */
  readonly commandTimeoutMs?: number;
  readonly control?: BridgeControl;
  /** Called for 5xx answers and control actions. */
  readonly log?: (line: string) => void;
}

export interface UpstashBridge {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Commands that would change or block the shared, pipelined connections (Upstash refuses most too). */
const REFUSED_COMMANDS = new Set([
  "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SELECT", "SWAPDB", "AUTH", "HELLO", "RESET", "QUIT",
  "CLIENT", "MONITOR", "SYNC", "PSYNC", "REPLICAOF", "SLAVEOF", "SHUTDOWN", "DEBUG",
  "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
  "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF",
]);

class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Command = string[];

function toCommand(value: unknown, where: string): Command {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequest(`ERR ${where} must be a non-empty JSON array like ["GET","key"]`);
  }
  const command = value.map((arg, i) => {
    if (typeof arg === "string") return arg;
    if (typeof arg === "number" && Number.isFinite(arg)) return String(arg);
    if (typeof arg === "boolean") return String(arg);
    throw new BadRequest(`ERR ${where}: argument ${i} must be a string, number or boolean, got ${arg === null ? "null" : typeof arg}`);
  });
  const name = command[0]!.toUpperCase();
  const blockingRead = (name === "XREAD" || name === "XREADGROUP") && command.some((a) => a.toUpperCase() === "BLOCK");
  if (REFUSED_COMMANDS.has(name) || blockingRead) {
    throw new BadRequest(`ERR command ${name}${blockingRead ? " BLOCK" : ""} is not supported over REST`);
  }
  return command;
}

function toCommandList(value: unknown, where: string): Command[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequest(`ERR ${where} body must be a non-empty JSON array of commands like [["GET","a"],["GET","b"]]`);
  }
  return value.map((command, i) => toCommand(command, `${where} command ${i + 1}`));
}

/** A Redis reply as JSON, base64-encoding strings the way Upstash does when asked. */
export function replyToJson(reply: RedisReply, base64: boolean): unknown {
  if (reply === null || typeof reply === "number") return reply;
  if (reply instanceof RedisSimpleString) {
    return base64 && reply.value !== "OK" ? Buffer.from(reply.value, "utf8").toString("base64") : reply.value;
  }
  if (reply instanceof RedisErrorReply) return reply.message;
  if (Buffer.isBuffer(reply)) return base64 ? reply.toString("base64") : reply.toString("utf8");
  return reply.map((item) => replyToJson(item, base64));
}

function toEntry(reply: RedisReply, base64: boolean): { result: unknown } | { error: string } {
  return reply instanceof RedisErrorReply ? { error: reply.message } : { result: replyToJson(reply, base64) };
}

function sameSecret(given: string, expected: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearer(req: http.IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1]?.trim();
  }
  return url.searchParams.get("_token") ?? undefined;
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BadRequest(`ERR request body is larger than ${limit} bytes`, 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new BadRequest("ERR empty request body; send a JSON array command");
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new BadRequest(`ERR request body is not valid JSON: ${(error as Error).message}`);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...extraHeaders,
  });
  res.end(text);
}

export async function startUpstashBridge(options: UpstashBridgeOptions): Promise<UpstashBridge> {
  if (!options.token) throw new Error("startUpstashBridge: a non-empty token is required");
  if (options.control && (!options.control.token || options.control.token === options.token)) {
    throw new Error("startUpstashBridge: the control token must be set and differ from the Redis token");
  }
  const pool = new RespPool(options.redis, options.poolSize ?? 4, { timeoutMs: options.commandTimeoutMs ?? 10_000 });
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const log = options.log ?? (() => {});

  const handleControl = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const control = options.control;
    const action = url.pathname.slice("/__control/".length);
    if (!control) return send(res, 404, { error: "not found" });
    if (req.method !== "POST") return send(res, 405, { error: "use POST" }, { allow: "POST" });
    const given = bearer(req, url);
    if (!given || !sameSecret(given, control.token)) return send(res, 401, { error: "Unauthorized" });
    const run = Object.hasOwn(control.actions, action) ? control.actions[action] : undefined;
    if (!run) return send(res, 404, { error: `unknown control action ${action}; known: ${Object.keys(control.actions).join(", ")}` });
    log(`bridge control: ${action}`);
    await run();
    return send(res, 200, { result: "OK" });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://bridge.local");
    if (url.pathname.startsWith("/__control/")) return handleControl(req, res, url);
    const method = req.method ?? "GET";
    if (!["GET", "POST", "PUT", "HEAD"].includes(method)) {
      return send(res, 405, { error: `method ${method} is not allowed; use POST` }, { allow: "GET, POST, PUT, HEAD" });
    }
    const given = bearer(req, url);
    if (!given || !sameSecret(given, options.token)) {
      return send(res, 401, { error: "Unauthorized: missing or invalid bearer token" }, { "www-authenticate": "Bearer" });
    }
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const body = await readBody(req, maxBodyBytes);
    const path = url.pathname.replace(/\/+$/, "");

    if (path === "" || path === "/pipeline" || path === "/multi-exec") {
      if (method !== "POST") return send(res, 405, { error: "use POST with a JSON array body" }, { allow: "POST" });
      const json = parseJson(body);
      if (path === "") {
        const [reply] = await pool.send([toCommand(json, "command")]);
        return reply instanceof RedisErrorReply ? send(res, 400, { error: reply.message }) : send(res, 200, { result: replyToJson(reply!, base64) });
      }
      const commands = toCommandList(json, path.slice(1));
      if (path === "/pipeline") {
        const replies = await pool.send(commands);
        return send(res, 200, replies.map((r) => toEntry(r, base64)));
      }
      // MULTI, the commands, EXEC in one write: atomic in Redis, and never split on the connection.
      const replies = await pool.send([["MULTI"], ...commands, ["EXEC"]]);
      const queueError = replies.slice(1, -1).find((r): r is RedisErrorReply => r instanceof RedisErrorReply);
      const exec = replies[replies.length - 1]!;
      if (exec instanceof RedisErrorReply) {
        return send(res, 400, { error: queueError ? `${exec.message} (${queueError.message})` : exec.message });
      }
      if (!Array.isArray(exec)) return send(res, 400, { error: "ERR transaction aborted" });
      return send(res, 200, exec.map((r) => toEntry(r, base64)));
    }

    // Path form: /COMMAND/arg1/arg2, a POST/PUT body as the last argument, ?EX=100 style extras.
    const args = path.split("/").slice(1).map((part) => decodeURIComponent(part));
    if (body.length > 0) args.push(body.toString("utf8"));
    for (const [key, value] of url.searchParams) if (key !== "_token") args.push(key, value);
    const [reply] = await pool.send([toCommand(args, "command")]);
    return reply instanceof RedisErrorReply ? send(res, 400, { error: reply.message }) : send(res, 200, { result: replyToJson(reply!, base64) });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof BadRequest) return send(res, error.status, { error: error.message });
      const message = error instanceof Error ? error.message : String(error);
      const status = error instanceof RedisTimeoutError ? 504 : error instanceof RedisUnavailableError ? 503 : 500;
      log(`bridge ${status}: ${message}`);
      return send(res, status, { error: `ERR ${message}` });
    });
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    async close() {
      pool.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

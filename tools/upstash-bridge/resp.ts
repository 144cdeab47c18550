/**
 * A small RESP2 client for redis-server over a unix socket or TCP: just what the bridge needs.
 * No npm Redis client is used so the bridge sees Redis replies exactly as Redis sends them
 * (simple strings vs bulk strings vs errors), which the Upstash REST encoding depends on.
 *
 * One connection carries many requests at once (RESP pipelining): each `send` writes all of its
 * commands in a single socket write and takes the same number of replies, in order. Redis
 * answers one connection's commands in order, so a MULTI...EXEC block written in one piece is
 * never interleaved with another request's commands.
 */

import net from "node:net";

/** A `+OK`-style status reply (Upstash encodes these differently from bulk strings). */
export class RedisSimpleString {
  constructor(readonly value: string) {}
}

/** A `-ERR ...` reply: a value, not an exception, because pipelines carry them per command. */
export class RedisErrorReply {
  constructor(readonly message: string) {}
}

export type RedisReply = RedisSimpleString | RedisErrorReply | number | Buffer | null | RedisReply[];

export type RedisArg = string | Buffer;

/** Thrown when Redis cannot be reached or the connection broke: the bridge answers 503. */
export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
}

/** Thrown when Redis did not answer in time: the bridge answers 504. */
export class RedisTimeoutError extends Error {
  override name = "RedisTimeoutError";
}

export function encodeCommand(args: readonly RedisArg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg, "utf8") : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

interface Parsed {
  readonly value: RedisReply;
  readonly next: number;
}

/** Parse one reply starting at `offset`; undefined when the buffer does not hold all of it yet. */
export function parseReply(buf: Buffer, offset = 0): Parsed | undefined {
  if (offset >= buf.length) return undefined;
  const lineEnd = buf.indexOf("\r\n", offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[offset]!);
  const line = buf.toString("utf8", offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: new RedisSimpleString(line), next: afterLine };
    case "-":
      return { value: new RedisErrorReply(line), next: afterLine };
    case ":":
      return { value: Number(line), next: afterLine };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buf.length < afterLine + length + 2) return undefined;
      return { value: buf.subarray(afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RedisReply[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`RESP protocol error: unexpected type byte ${JSON.stringify(type)}`);
  }
}

export type RedisEndpoint = { readonly path: string } | { readonly host: string; readonly port: number };

export function describeEndpoint(endpoint: RedisEndpoint): string {
  return "path" in endpoint ? `unix:${endpoint.path}` : `${endpoint.host}:${endpoint.port}`;
}

interface PendingBatch {
  readonly replies: RedisReply[];
  readonly expected: number;
  readonly resolve: (replies: RedisReply[]) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

export interface RespConnectionOptions {
  /** How long a batch may wait for its replies before the connection is dropped (ms). */
  readonly timeoutMs?: number;
  readonly connectTimeoutMs?: number;
}

/** One lazily (re)connected socket to redis-server with pipelined, ordered batches. */
export class RespConnection {
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: PendingBatch[] = [];
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;

  constructor(
    readonly endpoint: RedisEndpoint,
    options: RespConnectionOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  }

  /** Replies still owed on this connection (used to spread load over a pool). */
  get inFlight(): number {
    return this.pending.length;
  }

  /** Send commands in one write; resolves with one reply per command, errors included as values. */
  async send(commands: readonly (readonly RedisArg[])[]): Promise<RedisReply[]> {
    if (commands.length === 0) return [];
    const socket = await this.connect();
    if (socket.destroyed) throw new RedisUnavailableError(`connection to ${describeEndpoint(this.endpoint)} closed`);
    return new Promise<RedisReply[]>((resolve, reject) => {
      const timer =
        this.timeoutMs > 0
          ? setTimeout(() => {
              this.fail(new RedisTimeoutError(`redis-server did not answer within ${this.timeoutMs} ms`));
            }, this.timeoutMs)
          : undefined;
      this.pending.push({ replies: [], expected: commands.length, resolve, reject, timer });
      socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
    });
  }

  close(): void {
    this.fail(new RedisUnavailableError("connection closed by the bridge"));
  }

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<net.Socket>((resolve, reject) => {
      const socket =
        "path" in this.endpoint
          ? net.createConnection({ path: this.endpoint.path })
          : net.createConnection({ host: this.endpoint.host, port: this.endpoint.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy(new Error(`connect timed out after ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        this.socket = socket;
        this.buffer = Buffer.alloc(0);
        socket.on("data", (chunk: Buffer) => this.onData(chunk));
        socket.on("close", () => {
          if (this.socket === socket) this.socket = undefined;
          this.fail(new RedisUnavailableError(`connection to ${describeEndpoint(this.endpoint)} closed`));
        });
        resolve(socket);
      });
      socket.on("error", (error) => {
        clearTimeout(timer);
        if (this.socket !== socket) {
          reject(new RedisUnavailableError(`cannot connect to redis-server at ${describeEndpoint(this.endpoint)}: ${error.message}`));
        }
        socket.destroy();
      });
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    try {
      while (this.pending.length > 0) {
        const parsed = parseReply(this.buffer, offset);
        if (!parsed) break;
        offset = parsed.next;
        const batch = this.pending[0]!;
        batch.replies.push(parsed.value);
        if (batch.replies.length === batch.expected) {
          this.pending.shift();
          if (batch.timer) clearTimeout(batch.timer);
          batch.resolve(batch.replies);
        }
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.buffer = offset >= this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
  }

  /** Drop the socket and reject everything in flight: after a timeout or a broken stream, later
   * replies could no longer be matched to their requests. */
  private fail(error: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    this.buffer = Buffer.alloc(0);
    const batches = this.pending.splice(0);
    for (const batch of batches) {
      if (batch.timer) clearTimeout(batch.timer);
      batch.reject(error);
    }
    socket?.destroy();
  }
}

/** A few connections; each batch goes to the least busy one. */
export class RespPool {
  private readonly connections: RespConnection[];

  constructor(endpoint: RedisEndpoint, size = 4, options: RespConnectionOptions = {}) {
    this.connections = Array.from({ length: Math.max(1, size) }, () => new RespConnection(endpoint, options));
  }

  send(commands: readonly (readonly RedisArg[])[]): Promise<RedisReply[]> {
    let best = this.connections[0]!;
    for (const connection of this.connections) if (connection.inFlight < best.inFlight) best = connection;
    return best.send(commands);
  }

  close(): void {
    for (const connection of this.connections) connection.close();
  }
}

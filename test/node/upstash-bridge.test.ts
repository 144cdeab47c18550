/**
 * The Upstash REST bridge against a real redis-server, driven by @upstash/redis in its default
 * settings (base64 responses, JSON (de)serialisation, retries) exactly as a Worker would use it.
 */

import { spawn } from "node:child_process";
import path from "node:path";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisStack, type RedisStack } from "../../tools/upstash-bridge/stack.js";
import { replyToJson } from "../../tools/upstash-bridge/bridge.js";
import { RedisSimpleString, RedisErrorReply, parseReply, encodeCommand } from "../../tools/upstash-bridge/resp.js";

let stack: RedisStack;
let redis: Redis;

beforeAll(async () => {
  stack = await startRedisStack({ allowControl: true });
  redis = new Redis({ url: stack.url, token: stack.token });
});

afterAll(async () => {
  await stack?.stop();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.token}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

describe("RESP codec", () => {
  it("encodes commands as arrays of bulk strings with byte lengths", () => {
    expect(encodeCommand(["SET", "k", "é"]).toString("latin1")).toBe("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\xc3\xa9\r\n");
  });

  it("parses every RESP2 type and waits for incomplete replies", () => {
    const wire = Buffer.from("*5\r\n+OK\r\n-ERR bad\r\n:42\r\n$3\r\nabc\r\n$-1\r\n");
    const parsed = parseReply(wire);
    expect(parsed?.next).toBe(wire.length);
    const [simple, error, int, bulk, nil] = parsed!.value as unknown[];
    expect(simple).toEqual(new RedisSimpleString("OK"));
    expect(error).toEqual(new RedisErrorReply("ERR bad"));
    expect(int).toBe(42);
    expect((bulk as Buffer).toString()).toBe("abc");
    expect(nil).toBeNull();
    for (let cut = 1; cut < wire.length; cut++) expect(parseReply(wire.subarray(0, cut))).toBeUndefined();
  });

  it("encodes results to JSON the way Upstash does with and without base64", () => {
    const reply = [new RedisSimpleString("OK"), new RedisSimpleString("PONG"), Buffer.from("é"), 7, null];
    expect(replyToJson(reply, false)).toEqual(["OK", "PONG", "é", 7, null]);
    expect(replyToJson(reply, true)).toEqual(["OK", "UE9ORw==", "w6k=", 7, null]);
  });
});

describe("@upstash/redis (default settings) through the bridge", () => {
  it("sets with EX and gets back, with the TTL in Redis", async () => {
    expect(await redis.set("bridge:greeting", "hello", { ex: 120 })).toBe("OK");
    expect(await redis.get("bridge:greeting")).toBe("hello");
    const ttl = await redis.ttl("bridge:greeting");
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
    expect(await redis.get("bridge:absent")).toBeNull();
  });

  it("round-trips unicode, control characters and JSON objects", async () => {
    const tricky = "naïve café ✓ 日本語 😀 \u0000\u0001\t\r\n \"quoted\" \\ end";
    await redis.set("bridge:unicode", tricky);
    expect(await redis.get("bridge:unicode")).toBe(tricky);
    const object = { p: 0.125, verdict: "PASS", nested: { list: [1, "two", null] } };
    await redis.set("bridge:json", object);
    expect(await redis.get("bridge:json")).toEqual(object);
    // A string that is itself valid base64 must come back unchanged, not decoded twice.
    await redis.set("bridge:b64", "SGVsbG8=");
    expect(await redis.get("bridge:b64")).toBe("SGVsbG8=");
    await redis.set("bridge:ok", "OK");
    expect(await redis.get("bridge:ok")).toBe("OK");
  });

  it("returns binary-ish bytes exactly in base64 mode", async () => {
    // Bytes that are not valid UTF-8, written with SETRANGE through the raw protocol.
    await redis.set("bridge:bin", "x");
    const raw = await post("/", ["GETRANGE", "bridge:bin", "0", "-1"], { "upstash-encoding": "base64" });
    expect(raw).toEqual({ status: 200, body: { result: Buffer.from("x").toString("base64") } });
    const lua = await post("/", ["EVAL", "redis.call('SET', KEYS[1], string.char(255, 0, 128)) return redis.call('GET', KEYS[1])", "1", "bridge:bin"], {
      "upstash-encoding": "base64",
    });
    expect(lua.status).toBe(200);
    expect(Buffer.from((lua.body as { result: string }).result, "base64")).toEqual(Buffer.from([255, 0, 128]));
  });

  it("MGET several keys in one call, with nulls for missing ones", async () => {
    await redis.set("bridge:m1", "one");
    await redis.set("bridge:m2", { two: 2 });
    expect(await redis.mget("bridge:m1", "bridge:missing", "bridge:m2")).toEqual(["one", null, { two: 2 }]);
  });

  it("runs a pipeline in one request, in order", async () => {
    const results = await redis.pipeline().set("bridge:p", 1).incr("bridge:p").incrby("bridge:p", 10).get("bridge:p").exec();
    expect(results).toEqual(["OK", 2, 12, 12]);
  });

  it("runs multi-exec atomically and reports a command that fails inside it", async () => {
    const results = await redis.multi().set("bridge:t", "5").incr("bridge:t").hset("bridge:h", { a: "1", b: "x" }).hgetall("bridge:h").exec();
    expect(results).toEqual(["OK", 6, 2, { a: 1, b: "x" }]);
    const raw = await post("/multi-exec", [["SET", "bridge:t2", "abc"], ["INCR", "bridge:t2"], ["GET", "bridge:t2"]]);
    expect(raw.status).toBe(200);
    expect(raw.body).toEqual([{ result: "OK" }, { error: expect.stringMatching(/not an integer/) }, { result: "abc" }]);
  });

  it("rejects a transaction with a malformed command as a whole (EXECABORT)", async () => {
    const raw = await post("/multi-exec", [["SET", "bridge:t3", "1"], ["NOSUCHCOMMAND"]]);
    expect(raw.status).toBe(400);
    expect((raw.body as { error: string }).error).toMatch(/EXECABORT/);
    expect(await redis.get("bridge:t3")).toBeNull();
  });

  it("incr, expire and ttl", async () => {
    expect(await redis.incr("bridge:counter")).toBe(1);
    expect(await redis.incr("bridge:counter")).toBe(2);
    expect(await redis.ttl("bridge:counter")).toBe(-1);
    expect(await redis.expire("bridge:counter", 30)).toBe(1);
    expect(await redis.ttl("bridge:counter")).toBeGreaterThan(25);
    expect(await redis.ttl("bridge:nothing")).toBe(-2);
  });

  it("hashes: hset, hget, hgetall, hdel", async () => {
    expect(await redis.hset("bridge:hash", { name: "FLASH", version: 2 })).toBe(2);
    expect(await redis.hget("bridge:hash", "name")).toBe("FLASH");
    expect(await redis.hgetall("bridge:hash")).toEqual({ name: "FLASH", version: 2 });
    expect(await redis.hdel("bridge:hash", "name")).toBe(1);
    expect(await redis.hgetall("bridge:hash")).toEqual({ version: 2 });
  });

  it("turns a Redis error into an exception with Redis's message", async () => {
    await redis.set("bridge:str", "abc");
    await expect(redis.incr("bridge:str")).rejects.toThrow(/ERR value is not an integer/);
    await expect(redis.pipeline().set("bridge:str2", "x").incr("bridge:str2").exec()).rejects.toThrow(/Command 2 \[ incr \] failed/);
  });

  it("refuses a bad token with 401, and the client reports it", async () => {
    const wrong = new Redis({ url: stack.url, token: "wrong-token", retry: false });
    await expect(wrong.get("bridge:greeting")).rejects.toThrow(/Unauthorized/);
    const res = await fetch(stack.url, { method: "POST", body: JSON.stringify(["PING"]) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
  });
});

describe("the bridge's HTTP contract", () => {
  it("answers {result} with plain strings without the base64 header, and base64 with it", async () => {
    await redis.set("bridge:plain", "héllo");
    expect(await post("/", ["GET", "bridge:plain"])).toEqual({ status: 200, body: { result: "héllo" } });
    expect(await post("/", ["GET", "bridge:plain"], { "upstash-encoding": "base64" })).toEqual({
      status: 200,
      body: { result: Buffer.from("héllo").toString("base64") },
    });
    expect(await post("/", ["PING"], { "upstash-encoding": "base64" })).toEqual({ status: 200, body: { result: "UE9ORw==" } });
    expect(await post("/", ["SET", "bridge:x", 1.5], { "upstash-encoding": "base64" })).toEqual({ status: 200, body: { result: "OK" } });
  });

  it("answers 400 with {error} for malformed requests and refused commands", async () => {
    for (const body of ["not json", "{}", "[]", '[["GET","a"]]', '["GET", null]']) {
      const res = await post("/", body);
      expect(res.status, body).toBe(400);
      expect((res.body as { error: string }).error, body).toMatch(/^ERR /);
    }
    expect((await post("/pipeline", [])).status).toBe(400);
    expect((await post("/", ["BLPOP", "q", "0"])).status).toBe(400);
    expect((await post("/", ["SHUTDOWN"])).status).toBe(400);
    expect((await post("/", ["GET"])).body).toEqual({ error: expect.stringMatching(/wrong number of arguments/) });
  });

  it("supports the path form for curl, 404 for control without control, 405 for other methods", async () => {
    const res = await fetch(`${stack.url}/set/bridge:path/v1?EX=60`, { headers: { authorization: `Bearer ${stack.token}` } });
    expect(await res.json()).toEqual({ result: "OK" });
    expect(await redis.ttl("bridge:path")).toBeGreaterThan(50);
    const del = await fetch(stack.url, { method: "DELETE", headers: { authorization: `Bearer ${stack.token}` } });
    expect(del.status).toBe(405);
  });

  it("protects the control endpoint with its own token", async () => {
    const control = stack.control!;
    const wrong = await fetch(`${control.url}/pause`, { method: "POST", headers: { authorization: `Bearer ${stack.token}` } });
    expect(wrong.status).toBe(401);
    const unknown = await fetch(`${control.url}/flushall`, { method: "POST", headers: { authorization: `Bearer ${control.token}` } });
    expect(unknown.status).toBe(404);
  });

  it("answers 503 while redis-server is stopped and works again after a restart", async () => {
    const control = stack.control!;
    const call = (action: string) => fetch(`${control.url}/${action}`, { method: "POST", headers: { authorization: `Bearer ${control.token}` } });
    const pidBefore = stack.redis.pid;
    expect((await call("stop")).status).toBe(200);
    expect(stack.redis.running).toBe(false);
    const down = await post("/", ["PING"]);
    expect(down.status).toBe(503);
    expect((down.body as { error: string }).error).toMatch(/redis-server/);
    expect((await call("start")).status).toBe(200);
    expect(stack.redis.pid).not.toBe(pidBefore);
    expect(await post("/", ["PING"])).toEqual({ status: 200, body: { result: "PONG" } });
    // No persistence: what was there before the stop is gone.
    expect(await redis.get("bridge:greeting")).toBeNull();
  });
});

describe("npm run redis (the CLI)", () => {
  it("prints the URL and token, serves @upstash/redis, and stops redis-server on SIGTERM", async () => {
    const child = spawn(path.resolve("node_modules/.bin/tsx"), ["tools/upstash-bridge/cli.ts", "--port", "0", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("\n")) resolve(out.split("\n")[0]!);
        });
        child.once("exit", (code) => reject(new Error(`cli exited early (${code})`)));
      });
      const info = JSON.parse(line) as { url: string; token: string; pid: number };
      const client = new Redis({ url: info.url, token: info.token });
      expect(await client.set("cli:k", "v")).toBe("OK");
      expect(await client.get("cli:k")).toBe("v");
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(() => process.kill(info.pid, 0)).toThrow();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

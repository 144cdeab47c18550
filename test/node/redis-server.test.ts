/**
 * The throw-away redis-server used by tests and local runs: found or explained, started on a
 * unix socket without persistence, stopped and restarted by PID, paused, and cleaned up.
 */

import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { ensureRedisServer, findRedisServer, RedisServerMissingError, startRedisServer } from "../../tools/upstash-bridge/redis-server.js";
import { RespConnection, RedisSimpleString } from "../../tools/upstash-bridge/resp.js";

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function ping(socketPath: string, timeoutMs = 1_000): Promise<string> {
  const connection = new RespConnection({ path: socketPath }, { timeoutMs, connectTimeoutMs: 500 });
  try {
    const [reply] = await connection.send([["PING"]]);
    return reply instanceof RedisSimpleString ? reply.value : String(reply);
  } catch (error) {
    return (error as Error).name;
  } finally {
    connection.close();
  }
}

describe("finding redis-server", () => {
  it("says how to install it when it is missing and we may not install", () => {
    const nowhere = { PATH: "/nonexistent" };
    expect(findRedisServer(nowhere, [])).toBeUndefined();
    for (const options of [{ install: "never" as const }, { install: "auto" as const, isRoot: false }]) {
      let error: unknown;
      try {
        ensureRedisServer({ ...options, env: nowhere, usualDirs: [] });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RedisServerMissingError);
      expect((error as Error).message).toMatch(/apt-get install redis-server/);
    }
  });

  it("honours REDIS_SERVER_BIN", () => {
    const real = findRedisServer();
    expect(real).toBeDefined();
    expect(findRedisServer({ PATH: "", REDIS_SERVER_BIN: real }, [])).toBe(real);
  });
});

describe("startRedisServer", () => {
  it("runs without persistence on a unix socket, stops and restarts by PID, pauses, and cleans up", async () => {
    const redis = await startRedisServer();
    try {
      const first = redis.pid;
      expect(alive(first)).toBe(true);
      expect(await ping(redis.socketPath)).toBe("PONG");
      const connection = new RespConnection({ path: redis.socketPath });
      const [save, appendonly, port] = await connection.send([["CONFIG", "GET", "save"], ["CONFIG", "GET", "appendonly"], ["CONFIG", "GET", "port"]]);
      connection.close();
      expect((save as Buffer[]).map(String)).toEqual(["save", ""]);
      expect((appendonly as Buffer[]).map(String)).toEqual(["appendonly", "no"]);
      expect((port as Buffer[]).map(String)).toEqual(["port", "0"]);

      redis.pause();
      expect(await ping(redis.socketPath, 200)).toBe("RedisTimeoutError");
      redis.resume();
      expect(await ping(redis.socketPath)).toBe("PONG");

      await redis.stop();
      expect(redis.running).toBe(false);
      expect(alive(first)).toBe(false);
      expect(await ping(redis.socketPath)).toBe("RedisUnavailableError");
      await redis.start();
      expect(redis.pid).not.toBe(first);
      expect(await ping(redis.socketPath)).toBe("PONG");
    } finally {
      const pid = redis.pid;
      await redis.dispose();
      expect(alive(pid)).toBe(false);
      expect(fs.existsSync(redis.dir)).toBe(false);
    }
  });

  it("stops a paused server too", async () => {
    const redis = await startRedisServer();
    const pid = redis.pid;
    redis.pause();
    await redis.dispose();
    expect(alive(pid)).toBe(false);
  });
});

/**
 * Test tooling (Node side): a tiny HTTP service the worker tests call to get a Redis of their own
 * that they may stop, restart or pause (to prove fail-open) without disturbing other test files
 * that share the run's Redis. Each POST /stacks starts redis-server + bridge with its control
 * endpoint; everything is stopped by PID when the test run ends. Never part of a Worker.
 */

import http from "node:http";
import { randomBytes, createHash, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { startRedisStack, type RedisStack } from "./stack.js";
import type { LabStackInfo } from "./vitest-context.js";

export interface RedisLab {
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

export async function startRedisLab(): Promise<RedisLab> {
  const token = randomBytes(24).toString("base64url");
  const stacks = new Map<string, RedisStack>();
  let nextId = 1;

  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!auth || !same(auth, token)) return reply(401, { error: "Unauthorized" });
    const path = new URL(req.url ?? "/", "http://lab").pathname;
    const run = async () => {
      if (req.method === "POST" && path === "/stacks") {
        const stack = await startRedisStack({ allowControl: true });
        const id = String(nextId++);
        stacks.set(id, stack);
        const info: LabStackInfo = { id, url: stack.url, token: stack.token, control: stack.control! };
        return reply(200, info);
      }
      const match = /^\/stacks\/(\d+)$/.exec(path);
      if (req.method === "DELETE" && match) {
        const stack = stacks.get(match[1]!);
        stacks.delete(match[1]!);
        await stack?.stop();
        return reply(200, { result: "OK" });
      }
      return reply(404, { error: `no route ${req.method} ${path}` });
    };
    run().catch((error: unknown) => reply(500, { error: error instanceof Error ? error.message : String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...stacks.values()].map((stack) => stack.stop()));
      stacks.clear();
    },
  };
}

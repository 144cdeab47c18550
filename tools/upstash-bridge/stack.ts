/**
 * redis-server plus the Upstash REST bridge in front of it, as one thing to start and stop:
 * used by the test setup (test/support/redis-global-setup.ts), by the CLI beside this file and by
 * `npm start`.
 */

import { randomBytes } from "node:crypto";
import { startUpstashBridge, type UpstashBridge } from "./bridge.js";
import { startRedisServer, type RedisServerHandle } from "./redis-server.js";

export interface RedisStackOptions {
  /** Bridge port; 0 (the default) picks a free one. */
  readonly port?: number;
  readonly host?: string;
  /** Bearer token clients must send; random when omitted. */
  readonly token?: string;
  /** Expose POST /__control/{stop,start,pause,resume} with a separate token (tests only). */
  readonly allowControl?: boolean;
  /** "auto" installs redis-server with apt-get when missing and running as root. */
  readonly install?: "auto" | "never";
  readonly commandTimeoutMs?: number;
  readonly log?: (message: string) => void;
}

export interface RedisStackControl {
  readonly url: string;
  readonly token: string;
}

export interface RedisStack {
  /** UPSTASH_REDIS_REST_URL for clients. */
  readonly url: string;
  /** UPSTASH_REDIS_REST_TOKEN for clients. */
  readonly token: string;
  readonly redis: RedisServerHandle;
  readonly bridge: UpstashBridge;
  /** Present when started with allowControl. */
  readonly control: RedisStackControl | undefined;
  /** Stop the bridge and redis-server (by PID) and remove the temp directory. */
  stop(): Promise<void>;
}

function randomToken(): string {
  return randomBytes(24).toString("base64url");
}

export async function startRedisStack(options: RedisStackOptions = {}): Promise<RedisStack> {
  const redis = await startRedisServer({ install: options.install, log: options.log });
  const token = options.token ?? randomToken();
  const controlToken = options.allowControl ? randomToken() : undefined;
  let bridge: UpstashBridge;
  try {
    bridge = await startUpstashBridge({
      redis: { path: redis.socketPath },
      token,
      host: options.host,
      port: options.port,
      commandTimeoutMs: options.commandTimeoutMs,
      log: options.log,
      control: controlToken
        ? {
            token: controlToken,
            actions: {
              stop: () => redis.stop(),
              start: () => redis.start(),
              pause: () => redis.pause(),
              resume: () => redis.resume(),
            },
          }
        : undefined,
    });
  } catch (error) {
    await redis.dispose();
    throw error;
  }
  let stopped = false;
  return {
    url: bridge.url,
    token,
    redis,
    bridge,
    control: controlToken ? { url: `${bridge.url}/__control`, token: controlToken } : undefined,
    async stop() {
      if (stopped) return;
      stopped = true;
      await bridge.close();
      await redis.dispose();
    },
  };
}

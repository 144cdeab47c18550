/**
 * Runs a throw-away redis-server for tests and local runs: a temp directory, a unix socket (no
 * TCP port to collide with anything), no persistence (`--save "" --appendonly no`). The process is
 * ours alone and is stopped by PID; it can also be stopped and started again, or paused, so tests
 * can prove the Worker keeps answering while Redis is gone or slow.
 */

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RespConnection, RedisSimpleString } from "./resp.js";

export class RedisServerMissingError extends Error {
  override name = "RedisServerMissingError";
}

const INSTALL_HINT =
  "Install it with `sudo apt-get install redis-server` (Debian/Ubuntu), `brew install redis` (macOS), " +
  "or point REDIS_SERVER_BIN at a redis-server binary.";

const USUAL_DIRS = ["/usr/bin", "/usr/sbin", "/usr/local/bin"];

/** The redis-server binary: $REDIS_SERVER_BIN, then $PATH, then the usual Debian places. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env, usualDirs: readonly string[] = USUAL_DIRS): string | undefined {
  const candidates: string[] = [];
  if (env.REDIS_SERVER_BIN) candidates.push(env.REDIS_SERVER_BIN);
  for (const dir of (env.PATH ?? "").split(path.delimiter)) if (dir) candidates.push(path.join(dir, "redis-server"));
  for (const dir of usualDirs) candidates.push(path.join(dir, "redis-server"));
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next place
    }
  }
  return undefined;
}

export interface EnsureRedisServerOptions {
  /** "auto": install with apt-get when missing and running as root (the default); "never": only look. */
  readonly install?: "auto" | "never";
  readonly log?: (message: string) => void;
  /** Where to look (tests); the process environment and the usual directories by default. */
  readonly env?: NodeJS.ProcessEnv;
  readonly usualDirs?: readonly string[];
  /** Whether we may run apt-get (tests); by default: are we root? */
  readonly isRoot?: boolean;
}

/** Find redis-server, installing Debian's package when we are root; otherwise say how to install. */
export function ensureRedisServer(options: EnsureRedisServerOptions = {}): string {
  const found = findRedisServer(options.env, options.usualDirs);
  if (found) return found;
  const isRoot = options.isRoot ?? (typeof process.getuid === "function" && process.getuid() === 0);
  if (options.install === "never" || !isRoot) {
    throw new RedisServerMissingError(`redis-server is not installed. ${INSTALL_HINT}`);
  }
  const log = options.log ?? ((m: string) => console.error(m));
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "redis-server"], { env, stdio: "inherit" });
  log("redis-server is missing: installing Debian's redis-server package with apt-get (running as root)");
  try {
    install();
  } catch {
    // A fresh machine has no package lists yet.
    execFileSync("apt-get", ["update", "-qq"], { env, stdio: "inherit" });
    install();
  }
  const installed = findRedisServer(options.env, options.usualDirs);
  if (!installed) throw new RedisServerMissingError(`apt-get ran but redis-server is still not on PATH. ${INSTALL_HINT}`);
  return installed;
}

export interface RedisServerOptions {
  /** Binary to run; found (or installed) with ensureRedisServer when omitted. */
  readonly binary?: string;
  readonly install?: "auto" | "never";
  readonly log?: (message: string) => void;
  /** How long to wait for the first PONG (ms). */
  readonly startTimeoutMs?: number;
}

export interface RedisServerHandle {
  readonly binary: string;
  readonly dir: string;
  readonly socketPath: string;
  /** PID of the running process, undefined while stopped. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Stop the process (SIGTERM, then SIGKILL); the data is gone (no persistence). */
  stop(): Promise<void>;
  /** Start it again on the same socket after stop(). */
  start(): Promise<void>;
  /** SIGSTOP: the socket still accepts connections but nothing answers (a hung Redis). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stop and remove the temp directory. */
  dispose(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

/** If the parent dies without cleaning up (a crashed test run), do not leave redis-server behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of liveChildren) {
      try {
        if (child.pid) process.kill(child.pid, "SIGCONT");
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

async function waitForPong(socketPath: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited during start-up (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    const connection = new RespConnection({ path: socketPath }, { timeoutMs: 1_000, connectTimeoutMs: 500 });
    try {
      const [reply] = await connection.send([["PING"]]);
      if (reply instanceof RedisSimpleString && reply.value === "PONG") return;
      lastError = `unexpected PING reply ${String(reply)}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    } finally {
      connection.close();
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server did not answer PING within ${timeoutMs} ms (${lastError}):\n${output()}`);
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = options.binary ?? ensureRedisServer({ install: options.install, log: options.log });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flash-redis-"));
  const socketPath = path.join(dir, "redis.sock");
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;
  let paused = false;
  let tail = "";
  installExitHook();

  const spawnOnce = async (): Promise<void> => {
    tail = "";
    const args = [
      "--port", "0",
      "--unixsocket", socketPath,
      "--unixsocketperm", "700",
      "--save", "",
      "--appendonly", "no",
      "--dir", dir,
      "--daemonize", "no",
      "--loglevel", "warning",
    ];
    const proc = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString("utf8")).slice(-4_000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    proc.on("error", (error) => keep(Buffer.from(`spawn error: ${error.message}\n`)));
    liveChildren.add(proc);
    proc.once("exit", () => liveChildren.delete(proc));
    child = proc;
    paused = false;
    await waitForPong(socketPath, proc, startTimeoutMs, () => tail);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    if (paused && proc.pid) process.kill(proc.pid, "SIGCONT");
    paused = false;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await spawnOnce();

  return {
    binary,
    dir,
    socketPath,
    get pid() {
      return child?.pid;
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return;
      await spawnOnce();
    },
    pause() {
      if (child?.pid && !paused) {
        process.kill(child.pid, "SIGSTOP");
        paused = true;
      }
    },
    resume() {
      if (child?.pid && paused) {
        process.kill(child.pid, "SIGCONT");
        paused = false;
      }
    },
    async dispose() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The whole FLASH stack on this machine, on workerd through Miniflare's API: the router on
 * http://localhost:8787 in front of the blue and green API deployments (each also reachable
 * directly), each serving a model version from the registry (models/<version>/; the default
 * model on both unless told otherwise), and Redis (redis-server behind the Upstash REST
 * bridge) when it is installed. `npm start` is the CLI around it (cli.ts); tests, benchmarks and
 * the rollout scripts' end-to-end tests call startLocalStack() themselves.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Log, LogLevel, Miniflare, type WorkerOptions } from "miniflare";
import { modelEntryPath, readDefaultModelVersion, resolveModelVersion } from "../../model-build/src/registry.js";
import { findRedisServer } from "../upstash-bridge/redis-server.js";
import { startRedisStack, type RedisStack } from "../upstash-bridge/stack.js";
import { REPO_ROOT, buildWorker, readLocalSecrets, type BuiltWorker } from "./build.js";

export type Color = "blue" | "green";

/** The API's fault injection (docs/api.md): honoured outside production only. */
export interface FaultOptions {
  /** 0..1: share of /predict answered 500. */
  readonly errorRate?: number;
  /** Added delay per /predict, in ms. */
  readonly latencyMs?: number;
  /** 0..1: every prediction this value. */
  readonly constantProbability?: number;
}

export interface LocalStackOptions {
  /** Router port: 8787 by default, 0 for a free one. */
  readonly port?: number;
  readonly host?: string;
  /** Direct ports of blue and green; default router port + 34/+35 (8821, 8822), or free ones with port 0. */
  readonly bluePort?: number;
  readonly greenPort?: number;
  readonly blueFaults?: FaultOptions;
  readonly greenFaults?: FaultOptions;
  /** The model version each colour serves ("default", a version, or a unique prefix); default: the default model. */
  readonly blueModel?: string;
  readonly greenModel?: string;
  /** The registry --blue-model/--green-model are taken from (default: the repository's models/; tests build their own). */
  readonly modelsDir?: string;
  /** "auto" (default): Redis when redis-server is installed, else the API's embedded cache. */
  readonly redis?: "auto" | "on" | "off";
  /** Extra router vars (SPLIT_CACHE_MS, FALLBACK_ENABLED, UPSTREAM_TIMEOUT_MS, ...). */
  readonly routerVars?: Readonly<Record<string, string>>;
  /** Extra vars for both API deployments. */
  readonly apiVars?: Readonly<Record<string, string>>;
  /** Keep the router's Durable Object state (split, metrics) in this directory across runs. */
  readonly persistDir?: string;
  /** Print the Workers' request logs (default false; warnings and errors are always printed). */
  readonly requestLogs?: boolean;
  /** Progress lines (builds, Redis); default: none. */
  readonly log?: (message: string) => void;
}

export interface LocalStack {
  readonly routerUrl: string;
  readonly blueUrl: string;
  readonly greenUrl: string;
  /** The admin token the router accepts (ADMIN_TOKEN from .dev.vars, else .dev.vars.example). */
  readonly adminToken: string;
  /** The API key both deployments accept (FLASH_DEV_API_KEY). */
  readonly devApiKey: string;
  readonly cache: "redis" | "embedded";
  /** The model version each colour serves. */
  readonly models: Readonly<Record<Color, string>>;
  /** The Upstash REST URL when Redis is in use. */
  readonly redisUrl: string | null;
  readonly miniflare: Miniflare;
  stop(): Promise<void>;
}

export const DEFAULT_PORT = 8787;

function faultVars(faults: FaultOptions | undefined): Record<string, string> {
  return {
    FAULT_ERROR_RATE: String(faults?.errorRate ?? 0),
    FAULT_LATENCY_MS: String(faults?.latencyMs ?? 0),
    FAULT_CONSTANT_PROBABILITY: faults?.constantProbability === undefined ? "" : String(faults.constantProbability),
  };
}

/** Checks fault values the way the API will read them, so a typo fails here and not silently. */
export function checkFaults(color: Color, faults: FaultOptions | undefined): void {
  if (!faults) return;
  const bad = (what: string, value: number, rule: string) => {
    throw new Error(`${color} ${what} must be ${rule}, got ${value}`);
  };
  if (faults.errorRate !== undefined && !(faults.errorRate >= 0 && faults.errorRate <= 1)) bad("error rate", faults.errorRate, "from 0 to 1");
  if (faults.latencyMs !== undefined && !(faults.latencyMs >= 0 && faults.latencyMs <= 30_000)) bad("latency", faults.latencyMs, "from 0 to 30000 ms");
  if (faults.constantProbability !== undefined && !(faults.constantProbability >= 0 && faults.constantProbability <= 1)) {
    bad("constant probability", faults.constantProbability, "from 0 to 1");
  }
}

function printWorkerLog(requestLogs: boolean): (entry: { level: string; message: string }) => void {
  return ({ level, message }) => {
    const quietLevel = level === "log" || level === "info" || level === "debug";
    if (quietLevel && !requestLogs) return;
    (quietLevel ? process.stdout : process.stderr).write(`${message}\n`);
  };
}

async function startRedis(mode: "auto" | "on" | "off", log: (m: string) => void): Promise<RedisStack | null> {
  if (mode === "off") return null;
  if (mode === "auto" && !findRedisServer()) {
    log("redis-server is not installed: the API uses its embedded in-isolate cache (apt-get install redis-server for Redis)");
    return null;
  }
  try {
    return await startRedisStack({ install: mode === "on" ? "auto" : "never", log });
  } catch (error) {
    if (mode === "on") throw error;
    log(`Redis did not start (${(error as Error).message}); using the embedded cache`);
    return null;
  }
}

export interface ApiWorkerSettings {
  /** Local secrets (.dev.vars.example overlaid by .dev.vars). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly vars?: Readonly<Record<string, string>> | undefined;
  readonly faults?: FaultOptions | undefined;
  /** Also serve this deployment on its own port. */
  readonly directSocket?: { readonly host: string; readonly port: number } | undefined;
}

/** One colour of the API as a Miniflare worker named like its service (flash-api-blue|green). */
export function apiWorkerOptions(api: BuiltWorker, color: Color, settings: ApiWorkerSettings): WorkerOptions {
  return {
    ...api.options,
    name: `flash-api-${color}`,
    bindings: {
      ...(api.options.bindings ?? {}),
      ...settings.secrets,
      FLASH_COLOR: color,
      FLASH_ENVIRONMENT: "development",
      ...settings.vars,
      ...faultVars(settings.faults),
    },
    ...(settings.directSocket ? { unsafeDirectSockets: [{ ...settings.directSocket }] } : {}),
  };
}

export interface RouterWorkerSettings {
  readonly secrets: Readonly<Record<string, string>>;
  readonly requestLogs: boolean;
  readonly vars?: Readonly<Record<string, string>> | undefined;
}

/** The router as a Miniflare worker; its BLUE/GREEN bindings reach flash-api-blue/green. */
export function routerWorkerOptions(router: BuiltWorker, settings: RouterWorkerSettings): WorkerOptions {
  return {
    ...router.options,
    name: "flash-router",
    bindings: { ...(router.options.bindings ?? {}), ...settings.secrets, REQUEST_LOGS: String(settings.requestLogs), ...settings.vars },
  };
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  checkFaults("blue", options.blueFaults);
  checkFaults("green", options.greenFaults);
  const port = options.port ?? DEFAULT_PORT;
  const host = options.host ?? "127.0.0.1";
  const bluePort = options.bluePort ?? (port === 0 ? 0 : port + 34);
  const greenPort = options.greenPort ?? (port === 0 ? 0 : port + 35);

  // A colour without a model serves the repository's default; a named one comes from options.modelsDir.
  const pick = (ref: string | undefined) =>
    ref === undefined ? { version: readDefaultModelVersion(), entry: modelEntryPath(readDefaultModelVersion()) } : { version: resolveModelVersion(ref, options.modelsDir), entry: "" };
  const chosen = { blue: pick(options.blueModel), green: pick(options.greenModel) };
  for (const c of [chosen.blue, chosen.green]) if (c.entry === "") c.entry = modelEntryPath(c.version, options.modelsDir);
  const models: Record<Color, string> = { blue: chosen.blue.version, green: chosen.green.version };

  // Each stack builds into its own directory: tests and `npm start` may run at the same time.
  mkdirSync(join(REPO_ROOT, ".wrangler"), { recursive: true });
  const buildRoot = mkdtempSync(join(REPO_ROOT, ".wrangler", "local-stack-"));
  const outDir = (name: string) => join(buildRoot, name).slice(REPO_ROOT.length + 1);
  let redis: RedisStack | null = null;
  let miniflare: Miniflare | undefined;
  try {
    log("building the router and the API with wrangler (deploy --dry-run)...");
    // One API build per entry: a build bundles exactly one model.
    const entries = [...new Set([chosen.blue.entry, chosen.green.entry])];
    const [router, ...apis] = await Promise.all([
      buildWorker({ configPath: "router/wrangler.toml", outDir: outDir("router"), log }),
      ...entries.map((entry, i) => buildWorker({ configPath: "wrangler.toml", outDir: outDir(`api-${i}`), entry, log })),
    ]);
    const apiFor = (color: Color): BuiltWorker => apis[entries.indexOf(chosen[color].entry)]!;
    redis = await startRedis(options.redis ?? "auto", log);

    const secrets = readLocalSecrets();
    const adminToken = secrets.ADMIN_TOKEN ?? "";
    const devApiKey = secrets.FLASH_DEV_API_KEY ?? "";
    if (!adminToken) log("warning: no ADMIN_TOKEN in .dev.vars or .dev.vars.example: the admin API will answer 503");
    const apiVars = { ...(redis ? { UPSTASH_REDIS_REST_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: redis.token } : {}), ...options.apiVars };
    const routerWorker = routerWorkerOptions(router, { secrets, requestLogs: options.requestLogs ?? false, vars: options.routerVars });
    // FLASH_MODEL_VERSION pins each colour as wrangler.toml does in production: a wrong bundle answers 503.
    const blue = apiWorkerOptions(apiFor("blue"), "blue", { secrets, vars: { FLASH_MODEL_VERSION: models.blue, ...apiVars }, faults: options.blueFaults, directSocket: { host, port: bluePort } });
    const green = apiWorkerOptions(apiFor("green"), "green", { secrets, vars: { FLASH_MODEL_VERSION: models.green, ...apiVars }, faults: options.greenFaults, directSocket: { host, port: greenPort } });

    miniflare = new Miniflare({
      host,
      port,
      log: new Log(LogLevel.WARN),
      // No request.cf from Cloudflare: nothing outside this machine is reachable.
      cf: false,
      handleStructuredLogs: printWorkerLog(options.requestLogs ?? false),
      ...(options.persistDir ? { durableObjectsPersist: options.persistDir, analyticsEngineDatasetsPersist: options.persistDir } : {}),
      // The router is first: it answers the stack's main URL.
      workers: [routerWorker, blue, green],
    });
    const routerUrl = (await miniflare.ready).toString().replace(/\/$/, "");
    const blueUrl = (await miniflare.unsafeGetDirectURL("flash-api-blue")).toString().replace(/\/$/, "");
    const greenUrl = (await miniflare.unsafeGetDirectURL("flash-api-green")).toString().replace(/\/$/, "");
    const mf = miniflare;
    const redisNow = redis;
    let stopped = false;
    return {
      routerUrl,
      blueUrl,
      greenUrl,
      adminToken,
      devApiKey,
      cache: redis ? "redis" : "embedded",
      models,
      redisUrl: redis?.url ?? null,
      miniflare: mf,
      async stop() {
        if (stopped) return;
        stopped = true;
        await mf.dispose().catch(() => undefined);
        await redisNow?.stop().catch(() => undefined);
        rmSync(buildRoot, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await miniflare?.dispose().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    rmSync(buildRoot, { recursive: true, force: true });
    throw error;
  }
}

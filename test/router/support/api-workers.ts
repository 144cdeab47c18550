/**
 * Node side of the router's tests: the REAL prediction API Worker, built from worker/ with
 * wrangler, runs beside the router in the test Miniflare as several deployments — a healthy
 * blue and green, and greens with the API's own fault injection switched on. The router reaches
 * them through service bindings, exactly as in production. Nothing here is a fake API.
 */
import type { WorkerOptions } from "miniflare";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, buildWorker } from "../../../tools/local-stack/build.js";
import { BROKEN_GREEN_LATENCY_MS, GREEN_CONSTANT_PROBABILITY, TEST_API_KEY, TEST_SECRETS } from "./constants.js";

/**
 * Deployments of the API in the test Miniflare: service name -> the vars that make it differ.
 * Each one compiles onnxruntime's 14 MB WASM at start-up, so there are only three.
 */
export const API_DEPLOYMENTS = {
  "flash-api-blue": { FLASH_COLOR: "blue" },
  // Green answers every prediction with 0.97: shadow differences and green's prediction
  // metrics are then known exactly, while blue serves the real model.
  "flash-api-green": { FLASH_COLOR: "green", FAULT_CONSTANT_PROBABILITY: String(GREEN_CONSTANT_PROBABILITY) },
  // Every /predict answered 500 after 400 ms (health stays ok): the fallback and timeout tests.
  "flash-api-green-broken": { FLASH_COLOR: "green", FAULT_ERROR_RATE: "1", FAULT_LATENCY_MS: String(BROKEN_GREEN_LATENCY_MS) },
} satisfies Record<string, Record<string, string>>;

/** Test-only service binding of the router test worker to the broken green. */
export const FAULTY_BINDINGS = { GREEN_BROKEN: "flash-api-green-broken" } as const;

let built: Promise<WorkerOptions> | undefined;

function buildApiOnce(): Promise<WorkerOptions> {
  if (!built) {
    // Per process, so two test runs on this machine never overwrite each other's bundle.
    const outDir = `.wrangler/router-tests-${process.pid}`;
    process.once("exit", () => rmSync(join(REPO_ROOT, outDir), { recursive: true, force: true }));
    built = buildWorker({ configPath: "wrangler.toml", outDir, log: (m) => console.error(`[router tests] ${m}`) }).then((b) => b.options);
  }
  return built;
}

export type RouterTestMiniflare = {
  workers: WorkerOptions[];
  serviceBindings: Record<string, string>;
  bindings: Record<string, string>;
};

/** The `miniflare` options of the router test project. */
export async function routerTestMiniflare(extraApiBindings: Record<string, string> = {}): Promise<RouterTestMiniflare> {
  const api = await buildApiOnce();
  const workers = Object.entries(API_DEPLOYMENTS).map(([name, vars]) => ({
    ...api,
    name,
    bindings: {
      ...(api.bindings ?? {}),
      FLASH_ENVIRONMENT: "test",
      FLASH_DEV_API_KEY: TEST_API_KEY,
      FLASH_DEV_KEY_RATE_LIMIT: "unlimited",
      // Quiet test output: no test reads the APIs' request logs behind the router (5xx lines stay).
      REQUEST_LOGS: "false",
      ...extraApiBindings,
      ...vars,
    },
  })) as WorkerOptions[];
  // The router's own request logs are off too; test/router/request-log.test.ts turns them on.
  return { workers, serviceBindings: { ...FAULTY_BINDINGS }, bindings: { ...TEST_SECRETS, REQUEST_LOGS: "false" } };
}

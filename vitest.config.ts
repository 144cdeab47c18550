import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { routerTestMiniflare } from "./test/router/support/api-workers.js";
import { readDevVarsFile } from "./tools/local-stack/build.js";

// wrangler and miniflare try to reach Cloudflare (request.cf data, telemetry); nothing outside
// this machine is reachable here, so keep them local unless the caller says otherwise.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
process.env.WRANGLER_SEND_METRICS ??= "false";

// Three projects: pure and Node-side code (core, model-build, scripts) runs in Node; each
// deployable's tests run inside workerd through the Workers pool, against its own wrangler config.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: ["core/**/*.test.ts", "model-build/**/*.test.ts", "scripts/**/*.test.ts", "test/node/**/*.test.ts", "test/e2e/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The API's tests get the documented development key the way `npm start` does: from
        // .dev.vars.example (tests send it with env.FLASH_DEV_API_KEY; see test/worker/api-helpers.ts).
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // Request logs off: a line per test request made CI's log tens of thousands of lines long;
            // test/worker/request-log.test.ts turns them on where it reads them (5xx lines stay).
            miniflare: { bindings: { FLASH_DEV_API_KEY: readDevVarsFile(".dev.vars.example").FLASH_DEV_API_KEY ?? "", FLASH_DEV_KEY_RATE_LIMIT: "unlimited", REQUEST_LOGS: "false" } },
          }),
        ],
        test: {
          name: "worker",
          include: ["worker/**/*.test.ts", "test/worker/**/*.test.ts"],
          globalSetup: ["./tools/upstash-bridge/vitest-global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The router's tests run against the real API Worker (built from worker/) as blue, green
        // and fault-injected greens beside it: see test/router/support/api-workers.ts.
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: "./router/wrangler.toml" },
            miniflare: await routerTestMiniflare(),
          })),
        ],
        test: {
          name: "router",
          include: ["router/**/*.test.ts", "test/router/**/*.test.ts"],
          // One runtime for all router test files: each start compiles the API's 14 MB WASM once
          // per deployment, far too slow to repeat per file. Each test scopes its own Durable Objects.
          isolate: false,
          maxWorkers: 1,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

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
          include: ["core/**/*.test.ts", "model-build/**/*.test.ts", "scripts/**/*.test.ts", "test/node/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: {
          name: "worker",
          include: ["worker/**/*.test.ts", "test/worker/**/*.test.ts"],
          globalSetup: ["./tools/upstash-bridge/vitest-global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./router/wrangler.toml" } })],
        test: {
          name: "router",
          include: ["router/**/*.test.ts", "test/router/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

/**
 * The live monitoring suite: against a running stack (router, blue and green on workerd), the
 * router's /metrics prints every family of the contract and every metric, label value and
 * bucket bound the dashboards select, and a real Prometheus (Debian package) on the committed
 * prometheus.yml and alerts.yml scrapes it with the token file, evaluates every rule without
 * an error and answers every dashboard query.
 *
 * A test file registers it with the function that starts the stack:
 *   defineLiveMonitoringSuite(() => startMyStack())   // test/node/monitoring-live.test.ts
 */
import { createServer } from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboards } from "./grafana/flash-dashboards";
import { checkPageAgainstDashboards } from "./live-check";
import { PROMETHEUS_INSTALL_HINT } from "./start-prometheus";

/** What the suite needs from a running stack. */
export interface RunningStack {
  /** The router's origin, e.g. http://127.0.0.1:8787. */
  readonly routerUrl: string;
  /** The router's ADMIN_TOKEN (scrapes /metrics, sets the split). */
  readonly adminToken: string;
  /** An API key the versions accept for POST /predict. */
  readonly apiKey: string;
  stop(): Promise<void>;
}

const PROMETHEUS_DIR = fileURLToPath(new URL("./prometheus", import.meta.url));
const dashboards = Object.values(buildDashboards());

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/** Traffic for both versions: the candidate at 50%, requests from many clients. */
async function sendTraffic(stack: RunningStack, requests: number): Promise<void> {
  const admin = { Authorization: `Bearer ${stack.adminToken}`, "Content-Type": "application/json" };
  const split = await fetch(`${stack.routerUrl}/admin/split`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({ candidate_percent: 50, reason: "monitoring live test: traffic on both versions" }),
  });
  expect(split.status, await split.clone().text()).toBe(200);
  for (let i = 0; i < requests; i++) {
    const response = await fetch(`${stack.routerUrl}/predict`, {
      method: "POST",
      headers: { Authorization: `Bearer ${stack.apiKey}`, "Content-Type": "application/json", "X-Client-Id": `monitoring-client-${i}` },
      // The v1 guide's validation case, with the capital varied so the cache sees misses and hits.
      body: JSON.stringify({ total_capital_raised_usd: 250_000 * (1 + (i % 8)), funding_stage: "seed" }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    await response.arrayBuffer();
  }
}

export function defineLiveMonitoringSuite(startStack: () => Promise<RunningStack>): void {
  describe("monitoring against the local stack", () => {
    let stack: RunningStack;
    let page: string;

    beforeAll(async () => {
      stack = await startStack();
      await sendTraffic(stack, 40);
      const response = await fetch(`${stack.routerUrl}/metrics`, { headers: { Authorization: `Bearer ${stack.adminToken}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
      page = await response.text();
    }, 300_000);

    afterAll(async () => {
      await stack?.stop();
    });

    it("refuses /metrics without a token", async () => {
      const response = await fetch(`${stack.routerUrl}/metrics`);
      expect(response.status).toBe(401);
    });

    it("prints every family of the contract (metric-names.json) with its type", () => {
      expect(checkPageAgainstDashboards(page, dashboards).contract).toEqual([]);
    });

    it("prints every metric, label value and bucket bound the dashboards select", () => {
      const result = checkPageAgainstDashboards(page, dashboards);
      expect(result.dashboards).toEqual([]);
    });

    it("counts the traffic per version", () => {
      for (const version of ["blue", "green"]) expect(page).toMatch(new RegExp(`^flash_requests_total\\{version="${version}",status_class="2xx"\\} [1-9]`, "m"));
    });

    describe("with Prometheus on the committed prometheus.yml and alerts.yml", () => {
      let dir: string;
      let prometheus: ChildProcess | undefined;
      let api: string;
      let log = "";

      beforeAll(async () => {
        // The committed config, pointed at this stack's router, scraping every second.
        dir = mkdtempSync(join(tmpdir(), "flash-prometheus-live-"));
        cpSync(join(PROMETHEUS_DIR, "alerts.yml"), join(dir, "alerts.yml"));
        cpSync(join(PROMETHEUS_DIR, "targets"), join(dir, "targets"), { recursive: true });
        mkdirSync(join(dir, "secrets"));
        writeFileSync(join(dir, "secrets/admin-token.local"), `${stack.adminToken}\n`);
        const config = readFileSync(join(PROMETHEUS_DIR, "prometheus.yml"), "utf8")
          .replace('"localhost:8787"', JSON.stringify(new URL(stack.routerUrl).host))
          .replace("scrape_interval: 15s", "scrape_interval: 1s")
          .replace("scrape_timeout: 10s", "scrape_timeout: 1s")
          .replace("evaluation_interval: 15s", "evaluation_interval: 1s");
        expect(config).toContain(new URL(stack.routerUrl).host);
        writeFileSync(join(dir, "prometheus.yml"), config);
        const port = await freePort();
        api = `http://127.0.0.1:${port}/api/v1`;
        prometheus = spawn("prometheus", ["--config.file=prometheus.yml", `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { cwd: dir });
        prometheus.stdout?.on("data", (c: Buffer) => (log += c.toString()));
        prometheus.stderr?.on("data", (c: Buffer) => (log += c.toString()));
        await new Promise<void>((resolve, reject) => {
          prometheus!.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "ENOENT" ? new Error(`prometheus not found: ${PROMETHEUS_INSTALL_HINT}`) : e));
          prometheus!.once("spawn", () => resolve());
        });
        // Scraped successfully, then a few more scrapes so rates have two samples.
        await waitFor("the flash-router-local target to be up", 60_000, async () => {
          const targets = (await (await fetch(`${api}/targets`)).json()) as { data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] } };
          const local = targets.data.activeTargets.find((t) => t.labels.job === "flash-router-local");
          if (local?.health === "down") throw new Error(local.lastError);
          return local?.health === "up" ? true : undefined;
        }).catch((error: Error) => {
          throw new Error(`${error.message}\nprometheus log:\n${log.slice(-3000)}`);
        });
        await sendTraffic(stack, 20);
        await new Promise((r) => setTimeout(r, 5_000));
      }, 180_000);

      afterAll(() => {
        prometheus?.kill("SIGTERM");
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it("evaluates every recording rule and alert without an error", async () => {
        const rules = (await (await fetch(`${api}/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
        const all = rules.data.groups.flatMap((g) => g.rules);
        expect(all.length).toBeGreaterThanOrEqual(12);
        expect(all.filter((r) => r.health !== "ok").map((r) => `${r.name}: ${r.health} ${r.lastError ?? ""}`)).toEqual([]);
      });

      it("answers every dashboard query, with data for the traffic panels", async () => {
        const failures: string[] = [];
        const empty: string[] = [];
        for (const dashboard of dashboards) {
          for (const panel of dashboard.panels) {
            for (const target of panel.targets ?? []) {
              const expr = target.expr
                .replaceAll("$__rate_interval", "10s")
                .replaceAll("$__range", "5m")
                .replaceAll("$environment", ".*")
                .replaceAll("$version", ".*");
              const answer = (await (await fetch(`${api}/query?${new URLSearchParams({ query: expr })}`)).json()) as {
                status: string;
                error?: string;
                data?: { result: unknown[] };
              };
              const where = `${dashboard.title} / ${panel.title} / ${target.refId}`;
              if (answer.status !== "success") failures.push(`${where}: ${answer.error}`);
              else if (answer.data!.result.length === 0) empty.push(where);
            }
          }
        }
        expect(failures).toEqual([]);
        // Without shadowing there are no shadow comparisons (0/0); everything else has data.
        expect(empty.filter((w) => !/Shadow/.test(w))).toEqual([]);
      });

      it("sees both versions' traffic through the scrape", async () => {
        const answer = (await (await fetch(`${api}/query?${new URLSearchParams({ query: 'sum by (version) (flash_requests_total{job="flash-router-local"})' })}`)).json()) as {
          data: { result: { metric: { version: string }; value: [number, string] }[] };
        };
        const byVersion = Object.fromEntries(answer.data.result.map((r) => [r.metric.version, Number(r.value[1])]));
        expect(byVersion.blue).toBeGreaterThan(0);
        expect(byVersion.green).toBeGreaterThan(0);
      });
    });
  });
}

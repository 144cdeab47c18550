/**
 * `npm run monitoring:prometheus`: runs Prometheus (Debian package `prometheus`) on
 * monitoring/prometheus/prometheus.yml against the local stack. It first writes the local
 * stack's admin token to secrets/admin-token.local (from ADMIN_TOKEN, else .dev.vars, else the
 * development value in .dev.vars.example), so `npm start` plus this command is all it takes.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const REPO = fileURLToPath(new URL("..", import.meta.url));
export const PROMETHEUS_DIR = join(REPO, "monitoring/prometheus");
export const PROMETHEUS_INSTALL_HINT = "install it with `apt-get install prometheus` (Debian's package ships prometheus and promtool)";

const HELP = `Usage: npm run monitoring:prometheus -- [--port N] [--data DIR] [--dry-run]

Runs Prometheus with monitoring/prometheus/prometheus.yml: it scrapes the local stack's router
(http://localhost:8787/metrics, start it with \`npm start\`) and evaluates the FLASH alerts.
Open http://localhost:<port>/targets and /alerts. Stop it with Ctrl-C.

The admin token for the scrape is written to monitoring/prometheus/secrets/admin-token.local
from ADMIN_TOKEN in the environment, else .dev.vars, else .dev.vars.example.

Options:
  --port N     port for Prometheus's web UI and API (default 9090)
  --data DIR   where Prometheus keeps its data (default: $TMPDIR/flash-prometheus)
  --dry-run    write the token file and print the command, do not start Prometheus
  -h, --help   this help
`;

/** The value of KEY in a dotenv-style file (KEY=value, optional quotes), or null. */
export function readDotenvValue(text: string, key: string): string | null {
  for (const line of text.split("\n")) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || match[1] !== key) continue;
    const value = match[2]!;
    const quoted = /^(["'])(.*)\1$/.exec(value);
    return quoted ? quoted[2]! : value.replace(/\s+#.*$/, "");
  }
  return null;
}

export interface LocalToken {
  readonly token: string;
  readonly source: string;
}

/** The local stack's admin token: ADMIN_TOKEN, else .dev.vars, else .dev.vars.example. */
export function resolveLocalAdminToken(env: NodeJS.ProcessEnv = process.env, repo = REPO): LocalToken {
  if (env.ADMIN_TOKEN) return { token: env.ADMIN_TOKEN, source: "ADMIN_TOKEN" };
  for (const file of [".dev.vars", ".dev.vars.example"]) {
    const path = join(repo, file);
    if (!existsSync(path)) continue;
    const token = readDotenvValue(readFileSync(path, "utf8"), "ADMIN_TOKEN");
    if (token) return { token, source: file };
  }
  throw new Error("no admin token for the local stack: set ADMIN_TOKEN, or put ADMIN_TOKEN=... in .dev.vars");
}

export function prometheusArgs(options: { configFile: string; dataDir: string; port: number }): string[] {
  return [
    `--config.file=${options.configFile}`,
    `--storage.tsdb.path=${options.dataDir}`,
    `--web.listen-address=127.0.0.1:${options.port}`,
    // Lets `curl -X POST .../-/reload` pick up edits to alerts.yml without a restart.
    "--web.enable-lifecycle",
  ];
}

function main(argv: string[]): Promise<number> | number {
  let values: { port?: string; data?: string; "dry-run"?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: "string" }, data: { type: "string" }, "dry-run": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (error) {
    process.stderr.write(`monitoring:prometheus: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = Number(values.port ?? 9090);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write(`monitoring:prometheus: --port must be a port number, got ${values.port}\n`);
    return 2;
  }
  let local: LocalToken;
  try {
    local = resolveLocalAdminToken();
  } catch (error) {
    process.stderr.write(`monitoring:prometheus: ${(error as Error).message}\n`);
    return 2;
  }
  mkdirSync(join(PROMETHEUS_DIR, "secrets"), { recursive: true });
  writeFileSync(join(PROMETHEUS_DIR, "secrets/admin-token.local"), local.token, { mode: 0o600 });
  const args = prometheusArgs({ configFile: join(PROMETHEUS_DIR, "prometheus.yml"), dataDir: values.data ?? join(tmpdir(), "flash-prometheus"), port });
  process.stdout.write(`admin token for the local stack from ${local.source} -> monitoring/prometheus/secrets/admin-token.local\n`);
  process.stdout.write(`prometheus ${args.join(" ")}\n`);
  if (values["dry-run"]) return 0;
  process.stdout.write(`Prometheus on http://127.0.0.1:${port} (targets: /targets, alerts: /alerts); Ctrl-C stops it\n`);
  return new Promise((resolve) => {
    const child = spawn("prometheus", args, { stdio: "inherit" });
    child.on("error", (error: NodeJS.ErrnoException) => {
      process.stderr.write(error.code === "ENOENT" ? `monitoring:prometheus: prometheus not found: ${PROMETHEUS_INSTALL_HINT}\n` : `monitoring:prometheus: ${error.message}\n`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(signal === "SIGINT" || signal === "SIGTERM" ? 0 : (code ?? 1)));
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => child.kill(signal));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  Promise.resolve(main(process.argv.slice(2))).then((code) => (process.exitCode = code));
}

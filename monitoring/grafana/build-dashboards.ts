/**
 * `npm run monitoring:dashboards`: writes the four Grafana dashboards from flash-dashboards.ts to
 * monitoring/grafana/dashboards/*.json, or with --check only reports files that differ.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildDashboards, renderDashboard } from "./flash-dashboards";

const DEFAULT_OUT = fileURLToPath(new URL("./dashboards", import.meta.url));

const HELP = `Usage: npm run monitoring:dashboards -- [--check] [--out DIR]

Writes the FLASH Grafana dashboards (Overview, API Performance, Model Metrics, Business
Metrics) as JSON files Grafana can import, from monitoring/grafana/flash-dashboards.ts.

Options:
  --check     write nothing; exit 1 if a file is missing or differs from the code
  --out DIR   the folder to write to (default: monitoring/grafana/dashboards)
  -h, --help  this help
`;

export interface BuildDashboardsResult {
  readonly written: string[];
  readonly stale: string[];
}

/** Writes (or with `check`, compares) every dashboard file in `outDir`. */
export function writeDashboards(outDir: string, check: boolean): BuildDashboardsResult {
  const written: string[] = [];
  const stale: string[] = [];
  if (!check) mkdirSync(outDir, { recursive: true });
  for (const [file, dashboard] of Object.entries(buildDashboards())) {
    const path = join(outDir, file);
    const text = renderDashboard(dashboard);
    let current: string | null = null;
    try {
      current = readFileSync(path, "utf8");
    } catch {
      current = null;
    }
    if (current === text) continue;
    if (check) stale.push(path);
    else {
      writeFileSync(path, text);
      written.push(path);
    }
  }
  return { written, stale };
}

function main(argv: string[]): number {
  let values: { check?: boolean; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { check: { type: "boolean" }, out: { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (error) {
    process.stderr.write(`monitoring:dashboards: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const outDir = values.out ?? DEFAULT_OUT;
  const { written, stale } = writeDashboards(outDir, Boolean(values.check));
  const show = (path: string) => relative(process.cwd(), path) || path;
  if (values.check) {
    if (stale.length === 0) {
      process.stdout.write(`dashboards in ${show(outDir)} match monitoring/grafana/flash-dashboards.ts\n`);
      return 0;
    }
    process.stderr.write(`out of date (run \`npm run monitoring:dashboards\`):\n${stale.map((p) => `  ${show(p)}\n`).join("")}`);
    return 1;
  }
  process.stdout.write(written.length ? written.map((p) => `wrote ${show(p)}\n`).join("") : `dashboards in ${show(outDir)} already up to date\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));

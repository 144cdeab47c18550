/** `npm run deploy`: see scripts/lib/deploy.ts. */

import { AdminClient } from "./lib/admin-client.js";
import { CliError, flag, runCli, stringValue, UsageError, type ParsedValues } from "./lib/cli.js";
import { resolveAdminToken, resolveRouterUrl } from "./lib/config.js";
import { DEPLOY_SPEC, formatDeployReport, type DeployTarget } from "./lib/deploy.js";
import { runDeploy } from "./lib/deploy-runner.js";

async function resolveTarget(values: ParsedValues): Promise<DeployTarget> {
  const color = stringValue(values, "color");
  if (flag(values, "staging")) {
    if (color) throw new UsageError("--staging and --color exclude each other: staging is its own environment");
    return { env: "staging", worker_name: "flash-api-staging" };
  }
  if (color !== undefined) {
    if (color !== "blue" && color !== "green") throw new UsageError(`--color must be blue or green (got ${JSON.stringify(color)})`);
    return { env: color, worker_name: `flash-api-${color}` };
  }
  const routerUrl = resolveRouterUrl(stringValue(values, "router"));
  let split;
  try {
    const admin = new AdminClient({ baseUrl: routerUrl, token: resolveAdminToken(stringValue(values, "admin-token"), routerUrl), actor: "npm run deploy" });
    split = await admin.getSplit();
  } catch (error) {
    throw new UsageError(`cannot tell the candidate colour (${error instanceof Error ? error.message : String(error)}): pass --color blue|green`);
  }
  if (split.candidate_percent > 0) {
    throw new UsageError(`the candidate ${split.candidate} serves ${split.candidate_percent}% right now: finish or roll back that rollout first, or pass --color explicitly`);
  }
  return { env: split.candidate, worker_name: `flash-api-${split.candidate}` };
}

async function main(values: ParsedValues): Promise<number> {
  const target = await resolveTarget(values);
  const json = flag(values, "json");
  const report = await runDeploy({ target, dryRun: flag(values, "dry-run"), log: (line) => (json ? undefined : process.stderr.write(`deploy: ${line}\n`)) });
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else for (const line of formatDeployReport(report)) process.stdout.write(`${line}\n`);
  if (!report.model.ok) throw new CliError(`the model does not match its manifest: ${report.model.problems.join("; ")}`, 1);
  if (report.checks.some((c) => c.status === "FAIL")) throw new CliError("the built Worker failed its checks: nothing was deployed", 1);
  if (report.dry_run) return 0;
  if (!report.deployed) {
    throw new CliError("wrangler deploy failed (see its output above); if it asked for credentials, set CLOUDFLARE_API_TOKEN or run `npx wrangler login`", 1);
  }
  process.stdout.write(`next: check it through the router with \`npm run smoke\` (forced to ${target.env}), then \`npm run promote\`\n`);
  return 0;
}

await runCli(DEPLOY_SPEC, (cmd) => main(cmd.values));

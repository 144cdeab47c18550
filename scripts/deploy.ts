/** `npm run deploy`: see scripts/lib/deploy.ts. */

import { AdminClient } from "./lib/admin-client.js";
import { CliError, flag, runCli, stringValue, UsageError, type ParsedValues } from "./lib/cli.js";
import { resolveAdminToken, resolveRouterUrl } from "./lib/config.js";
import { modelDir, modelEntryPath, readDefaultModelVersion, RegistryError, resolveModelVersion } from "../model-build/src/registry.js";
import { DEPLOY_SPEC, formatDeployReport, type DeployModel, type DeployTarget } from "./lib/deploy.js";
import { runDeploy } from "./lib/deploy-runner.js";
import { readColorPin } from "./lib/wrangler-pins.js";

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

/** --model, else the colour's pin (staging: the default model). */
function resolveModel(values: ParsedValues, target: DeployTarget): DeployModel {
  const ref = stringValue(values, "model");
  const pin = target.env === "staging" ? null : readColorPin(target.env);
  try {
    if (ref !== undefined) {
      const version = resolveModelVersion(ref);
      return { version, entry: modelEntryPath(version), dir: modelDir(version), chosen_by: "--model", previous_pin: pin?.version ?? null };
    }
    if (pin === null) {
      const version = readDefaultModelVersion();
      return { version, entry: modelEntryPath(version), dir: modelDir(version), chosen_by: "default", previous_pin: null };
    }
  } catch (error) {
    if (error instanceof RegistryError) throw new UsageError(error.message);
    throw error;
  }
  if (pin.version === null || pin.problems.length > 0) throw new UsageError(`${pin.problems.join("; ")}: pass --model <version>`);
  return { version: pin.version, entry: modelEntryPath(pin.version), dir: modelDir(pin.version), chosen_by: "pin", previous_pin: pin.version };
}

async function main(values: ParsedValues): Promise<number> {
  const target = await resolveTarget(values);
  const model = resolveModel(values, target);
  const json = flag(values, "json");
  const report = await runDeploy({ target, model, dryRun: flag(values, "dry-run"), log: (line) => (json ? undefined : process.stderr.write(`deploy: ${line}\n`)) });
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else for (const line of formatDeployReport(report)) process.stdout.write(`${line}\n`);
  if (!report.model.ok) throw new CliError(`the model does not match its manifest: ${report.model.problems.join("; ")}`, 1);
  if (report.checks.some((c) => c.status === "FAIL")) throw new CliError("the built Worker failed its checks: nothing was deployed", 1);
  if (report.dry_run) return 0;
  if (!report.deployed) {
    throw new CliError("wrangler deploy failed (see its output above); if it asked for credentials, set CLOUDFLARE_API_TOKEN or run `npx wrangler login`", 1);
  }
  if (report.pinned && report.selected.previous_pin !== report.selected.version) {
    process.stdout.write(`wrangler.toml now pins ${target.env} to ${report.selected.version}: commit it, so the repository says what each colour serves\n`);
  }
  process.stdout.write(`next: check it through the router with \`npm run smoke\` (forced to ${target.env}), then \`npm run promote\`\n`);
  return 0;
}

await runCli(DEPLOY_SPEC, (cmd) => main(cmd.values));

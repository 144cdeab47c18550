/** `npm run rollback`: see scripts/lib/rollback.ts. */

import { AdminClient } from "./lib/admin-client.js";
import { CliError, flag, parseDuration, runCli, stringValue, UsageError, type ParsedValues } from "./lib/cli.js";
import { resolveAdminToken, resolveRouterUrl } from "./lib/config.js";
import { routerProbe } from "./lib/rollback-probe.js";
import { formatRollbackOutcome, ROLLBACK_SPEC, runRollback } from "./lib/rollback.js";

async function main(values: ParsedValues): Promise<number> {
  const reason = stringValue(values, "reason")?.trim();
  if (!reason) throw new UsageError('say why: --reason "green answers 5xx" (it is recorded in the split history)');
  const routerUrl = resolveRouterUrl(stringValue(values, "router"));
  const admin = new AdminClient({ baseUrl: routerUrl, token: resolveAdminToken(stringValue(values, "admin-token"), routerUrl), actor: "npm run rollback" });
  const json = flag(values, "json");
  const timeout = stringValue(values, "timeout");
  const progress = (text: string) => {
    if (!json) process.stderr.write(text);
  };
  let outcome;
  try {
    outcome = await runRollback({
      admin,
      probe: routerProbe({ routerUrl, path: stringValue(values, "probe-path") ?? "/health" }),
      reason,
      dryRun: flag(values, "dry-run"),
      wait: !flag(values, "no-wait"),
      timeoutMs: timeout === undefined ? 30_000 : parseDuration(timeout, "timeout") * 1000,
      onRolledBack: (_before, after) => progress(`rolled back at revision ${after.revision}; probing ${routerUrl} until only ${after.stable} answers`),
      onRound: (r) => progress(r.round % 10 === 0 ? "." : ""),
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new CliError(`ROLLBACK NOT DONE: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
  progress("\n");
  if (json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
  else for (const line of formatRollbackOutcome(outcome)) process.stdout.write(`${line}\n`);
  if (outcome.dry_run || !outcome.measurement) return 0;
  return outcome.measurement.ok ? 0 : 1;
}

await runCli(ROLLBACK_SPEC, (cmd) => main(cmd.values));

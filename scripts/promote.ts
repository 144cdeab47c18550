/**
 * `npm run promote`: roll the candidate out step by step on evidence (issue 6).
 * The decisions live in scripts/rollout/ (pure), the loop in scripts/lib/promotion.ts, the
 * options in scripts/lib/promote-options.ts.
 */

import { AdminClient } from "./lib/admin-client.js";
import { CliError, flag, runCli, stringValue, UsageError, type ParsedValues } from "./lib/cli.js";
import { resolveAdminToken, resolveRouterUrl } from "./lib/config.js";
import { policyFromFlags, PROMOTE_SPEC, shadowFromFlags, statsSourceFromFlags } from "./lib/promote-options.js";
import { formatPromotionEvent } from "./lib/promotion-output.js";
import { runPromotion, sleep } from "./lib/promotion.js";

async function main(values: ParsedValues): Promise<number> {
  const policy = policyFromFlags(values);
  const routerUrl = resolveRouterUrl(stringValue(values, "router"));
  const client = new AdminClient({ baseUrl: routerUrl, token: resolveAdminToken(stringValue(values, "admin-token"), routerUrl), actor: "npm run promote" });
  const stats = statsSourceFromFlags(values, client);
  const shadowPercent = shadowFromFlags(values);
  const json = flag(values, "json");

  const controller = new AbortController();
  const onSignal = () => {
    process.stderr.write("\npromote: interrupted; stopping after the current call (the split is left as it is)\n");
    controller.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const result = await runPromotion(
      {
        admin: client,
        stats,
        now: () => Date.now(),
        sleep,
        emit: (event) => {
          if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
          else for (const line of formatPromotionEvent(event)) process.stdout.write(`${line}\n`);
        },
      },
      { policy, dryRun: flag(values, "dry-run"), signal: controller.signal, ...(shadowPercent !== undefined ? { shadowPercent } : {}) },
    );
    return result.exit_code;
  } catch (error) {
    // Only the opening reads (split, plan) can throw out of runPromotion: nothing was changed yet.
    if (error instanceof UsageError || error instanceof CliError) throw error;
    throw new CliError(`${error instanceof Error ? error.message : String(error)} (nothing was changed)`, 2);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

await runCli(PROMOTE_SPEC, (cmd) => main(cmd.values));

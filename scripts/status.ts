/** `npm run status`: see scripts/lib/status-report.ts. */

import { AdminClient } from "./lib/admin-client.js";
import { CliError, flag, parseDuration, parseNumber, runCli, stringValue, type ParsedValues } from "./lib/cli.js";
import { resolveAdminToken, resolveRouterUrl } from "./lib/config.js";
import { formatStatusReport, STATUS_SPEC } from "./lib/status-report.js";

async function main(values: ParsedValues): Promise<number> {
  const routerUrl = resolveRouterUrl(stringValue(values, "router"));
  const admin = new AdminClient({ baseUrl: routerUrl, token: resolveAdminToken(stringValue(values, "admin-token"), routerUrl), actor: "npm run status" });
  const windowText = stringValue(values, "window");
  const window = Math.round(windowText === undefined ? 300 : parseDuration(windowText, "window"));
  const historyText = stringValue(values, "history");
  const historyLimit = historyText === undefined ? 10 : parseNumber(historyText, "history", { min: 1, max: 100, integer: true });
  let data;
  try {
    const [split, history, stats] = await Promise.all([admin.getSplit(), admin.history(historyLimit), admin.stats(Math.max(10, window))]);
    data = { split, history, stats };
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), 1);
  }
  if (flag(values, "json")) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else process.stdout.write(`${formatStatusReport(data, historyLimit)}\n`);
  return 0;
}

await runCli(STATUS_SPEC, (cmd) => main(cmd.values));

/** `npm run smoke`: see scripts/lib/smoke-checks.ts. */

import { flag, runCli, stringValue, UsageError, type ParsedValues } from "./lib/cli.js";
import { isLocalUrl, readDevVar, resolveApiKey, resolveApiUrl } from "./lib/config.js";
import { formatSmoke, runSmoke, SMOKE_SPEC } from "./lib/smoke-checks.js";

async function main(values: ParsedValues): Promise<number> {
  const url = resolveApiUrl(stringValue(values, "url"));
  const apiKey = resolveApiKey(stringValue(values, "key"), url);
  if (!apiKey) throw new UsageError(`no API key for ${url}: set FLASH_API_KEY (create one with \`npm run keys -- create\`) or pass --key`);
  const overrideToken =
    stringValue(values, "override-token") ?? process.env.FLASH_OVERRIDE_TOKEN ?? process.env.ADMIN_TOKEN ?? (isLocalUrl(url) ? readDevVar("ADMIN_TOKEN") : undefined);
  const checks = await runSmoke({ url, apiKey, overrideToken });
  if (flag(values, "json")) process.stdout.write(`${JSON.stringify({ url, checks }, null, 2)}\n`);
  else process.stdout.write(`${formatSmoke(url, checks)}\n`);
  return checks.some((c) => c.status === "FAIL") ? 1 : 0;
}

await runCli(SMOKE_SPEC, (cmd) => main(cmd.values));

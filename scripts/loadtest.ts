/** `npm run loadtest`: see scripts/lib/loadtest-report.ts and scripts/lib/load-runner.ts. */

import { flag, parseDuration, parseNumber, runCli, stringValue, UsageError, type ParsedValues } from "./lib/cli.js";
import { resolveApiKey, resolveApiUrl } from "./lib/config.js";
import { checkV1Criteria, runLoad, summarizeLoad } from "./lib/load-runner.js";
import { formatLoadReport, LOADTEST_SPEC, progressBar } from "./lib/loadtest-report.js";
import { RequestMix } from "./lib/request-mix.js";

async function main(values: ParsedValues): Promise<number> {
  const v = (name: string) => stringValue(values, name);
  const url = resolveApiUrl(v("url"));
  const apiKey = resolveApiKey(v("key"), url);
  if (!apiKey) throw new UsageError(`no API key for ${url}: pass --key or set FLASH_API_KEY`);
  const duration = v("duration") === undefined ? undefined : parseDuration(v("duration")!, "duration") * 1000;
  const requests = v("requests") !== undefined ? parseNumber(v("requests")!, "requests", { min: 1, integer: true }) : duration === undefined ? 1000 : undefined;
  const concurrency = parseNumber(v("concurrency") ?? "10", "concurrency", { min: 1, max: 1000, integer: true });
  const rate = v("rate") === undefined ? undefined : parseNumber(v("rate")!, "rate", { min: 0.1 });
  const mix = new RequestMix({
    seed: v("seed") === undefined ? Date.now() % 2 ** 31 : parseNumber(v("seed")!, "seed", { min: 0, integer: true }),
    repeatShare: parseNumber(v("repeat-share") ?? "0.8", "repeat-share", { min: 0, max: 1 }),
    poolSize: parseNumber(v("pool") ?? "50", "pool", { min: 1, integer: true }),
    clients: parseNumber(v("clients") ?? "1000", "clients", { min: 1, integer: true }),
  });
  const json = flag(values, "json");
  const showProgress = !flag(values, "quiet") && !json;
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let errors = 0;
  let lastLine = 0;
  if (showProgress) process.stderr.write(`loadtest: POST ${url}/predict, ${requests !== undefined ? `${requests} requests` : `${(duration! / 1000).toFixed(0)} s`}, concurrency ${concurrency}${rate ? `, ~${rate} req/s` : ""}\n`);

  const { results, duration_ms } = await runLoad({
    url,
    apiKey,
    concurrency,
    ...(requests !== undefined ? { requests } : {}),
    ...(duration !== undefined ? { durationMs: duration } : {}),
    ...(rate !== undefined ? { ratePerSecond: rate } : {}),
    timeoutMs: v("timeout") === undefined ? 10_000 : parseDuration(v("timeout")!, "timeout") * 1000,
    mix,
    onResult: (r, done) => {
      if (r.status < 200 || r.status >= 300) errors += 1;
      if (!showProgress) return;
      const elapsed = Date.now() - started;
      const share = requests !== undefined ? done / requests : elapsed / duration!;
      const line = `${progressBar(share, 1)} ${done} done, ${(done / Math.max(0.001, elapsed / 1000)).toFixed(0)} req/s, ${errors} errors`;
      if (tty) {
        if (elapsed - lastLine > 100 || share >= 1) {
          process.stderr.write(`\r${line}`);
          lastLine = elapsed;
        }
      } else if (Math.floor(share * 10) > Math.floor(lastLine)) {
        process.stderr.write(`${line}\n`);
        lastLine = Math.floor(share * 10);
      }
    },
  });
  if (showProgress && tty) process.stderr.write("\n");
  if (results.length > 0 && results.every((r) => r.status === 0)) {
    throw new UsageError(`every request failed (${results[0]!.error}): is the API running at ${url}? Start the local stack with \`npm start\` or set FLASH_API_URL`);
  }
  const summary = summarizeLoad(results, duration_ms);
  const criteria = checkV1Criteria(summary);
  if (json) process.stdout.write(`${JSON.stringify({ url, concurrency, summary, criteria }, null, 2)}\n`);
  else process.stdout.write(`${formatLoadReport(summary, criteria)}\n`);
  return criteria.every((c) => c.met) ? 0 : 1;
}

await runCli(LOADTEST_SPEC, (cmd) => main(cmd.values));

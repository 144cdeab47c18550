/** `npm run promote`'s command line: its options, and how flags, policy file and defaults combine. */

import { readFileSync } from "node:fs";
import { defaultPolicy, mergePolicy, validatePolicy, PolicyError } from "../rollout/policy.js";
import type { RolloutPolicy } from "../policy/rollout-policy.js";
import type { AdminClient } from "./admin-client.js";
import { AnalyticsEngineStatsSource, DEFAULT_AE_DATASET } from "./analytics-engine.js";
import { parseDuration, parseNumber, parseNumberList, stringValue, UsageError, type CommandSpec, type ParsedValues } from "./cli.js";
import { RouterStatsSource, type StatsSource } from "./stats-source.js";
import { ROUTER_ENV, ROUTER_OPTIONS } from "./config.js";

export const PROMOTE_SPEC: CommandSpec = {
  name: "promote",
  summary: "roll the candidate out step by step, checking error rate, latency and predictions between steps",
  usage: "npm run promote -- [options]",
  description: [
    "Each step sets the candidate's traffic share, then checks the gates every interval. A step passes",
    "after its bake time with no failed check; consecutive failed checks roll back; below the minimum",
    "sample size a gate says NOT ENOUGH DATA and the step waits. At 100% the candidate becomes stable.",
    "Thresholds: scripts/policy/rollout-policy.ts (documented in docs/runbook.md).",
  ].join("\n"),
  options: [
    ...ROUTER_OPTIONS,
    { name: "policy", type: "string", placeholder: "<file.json>", description: "JSON file overriding fields of the default policy" },
    { name: "steps", type: "string", placeholder: "<list>", description: "candidate percentages, comma-separated", defaultText: "5,25,50,75,100" },
    { name: "bake", type: "string", placeholder: "<duration>", description: "bake time per step", defaultText: "10m" },
    { name: "interval", type: "string", placeholder: "<duration>", description: "time between checks", defaultText: "30s" },
    { name: "window", type: "string", placeholder: "<duration>", description: "stats window of each check", defaultText: "5m" },
    { name: "deadline", type: "string", placeholder: "<duration>", description: "hard deadline for the whole run", defaultText: "2 x the total bake time" },
    { name: "min-samples", type: "string", placeholder: "<n>", description: "candidate samples a gate needs to decide", defaultText: "200" },
    { name: "max-failures", type: "string", placeholder: "<n>", description: "consecutive failed checks that roll back", defaultText: "2" },
    { name: "on-no-data", type: "string", placeholder: "hold|rollback", description: "how the deadline ends a run without evidence", defaultText: "rollback" },
    { name: "shadow", type: "string", placeholder: "<percent>", description: "also send this share of stable's requests to the candidate in the background, and check the shadow gates", defaultText: "the split's current value" },
    { name: "source", type: "string", placeholder: "router|analytics-engine", description: "where the stats come from", defaultText: "router" },
    { name: "ae-dataset", type: "string", placeholder: "<name>", description: "Analytics Engine dataset", defaultText: `$FLASH_AE_DATASET or ${DEFAULT_AE_DATASET}` },
    { name: "dry-run", type: "boolean", description: "read live stats and print the decisions, change nothing" },
    { name: "json", type: "boolean", description: "one JSON event per line on stdout" },
  ],
  env: [
    ...ROUTER_ENV,
    ["CLOUDFLARE_ACCOUNT_ID", "for --source analytics-engine: the account id (32 hex characters)"],
    ["CLOUDFLARE_API_TOKEN", "for --source analytics-engine: a token with Account Analytics: Read"],
  ],
  exitCodes: [
    [0, "promoted: the candidate is the new stable"],
    [1, "rolled back (by a failed gate, the deadline policy, or an operator's rollback)"],
    [2, "held (split left as it is), or a usage error"],
  ],
  examples: [
    "npm run promote",
    "npm run promote -- --dry-run --bake 1m --interval 10s",
    "npm run promote -- --steps 10,50,100 --bake 5m --on-no-data hold --json > rollout.jsonl",
  ],
};

/** The policy from defaults, `--policy` file and flags, validated. */
export function policyFromFlags(values: ParsedValues, readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): RolloutPolicy {
  let policy = defaultPolicy();
  const file = stringValue(values, "policy");
  try {
    if (file) {
      let json: unknown;
      try {
        json = JSON.parse(readFile(file));
      } catch (error) {
        throw new UsageError(`cannot read policy file ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
      policy = mergePolicy(policy, json, file);
    }
    const v = (name: string) => stringValue(values, name);
    if (v("steps") !== undefined) policy.steps = parseNumberList(v("steps")!, "steps");
    if (v("bake") !== undefined) policy.bake_seconds = parseDuration(v("bake")!, "bake");
    if (v("interval") !== undefined) policy.check_interval_seconds = parseDuration(v("interval")!, "interval");
    if (v("window") !== undefined) policy.window_seconds = parseDuration(v("window")!, "window");
    if (v("deadline") !== undefined) policy.deadline_seconds = parseDuration(v("deadline")!, "deadline");
    if (v("min-samples") !== undefined) policy.min_samples = parseNumber(v("min-samples")!, "min-samples", { min: 1, integer: true });
    if (v("max-failures") !== undefined) policy.max_consecutive_failures = parseNumber(v("max-failures")!, "max-failures", { min: 1, integer: true });
    if (v("on-no-data") !== undefined) {
      const mode = v("on-no-data");
      if (mode !== "hold" && mode !== "rollback") throw new UsageError(`--on-no-data must be hold or rollback (got ${JSON.stringify(mode)})`);
      policy.on_no_data = mode;
    }
    return validatePolicy(policy);
  } catch (error) {
    if (error instanceof PolicyError) throw new UsageError(`policy: ${error.message}`);
    throw error;
  }
}

/** `--shadow <percent>`: undefined when not given. */
export function shadowFromFlags(values: ParsedValues): number | undefined {
  const text = stringValue(values, "shadow");
  return text === undefined ? undefined : parseNumber(text, "shadow", { min: 0, max: 100 });
}

export function statsSourceFromFlags(values: ParsedValues, client: AdminClient, env = process.env): StatsSource {
  const source = stringValue(values, "source") ?? "router";
  if (source === "router") return new RouterStatsSource(client);
  if (source === "analytics-engine") {
    const accountId = env.CLOUDFLARE_ACCOUNT_ID;
    const apiToken = env.CLOUDFLARE_API_TOKEN;
    if (!accountId || !apiToken) {
      throw new UsageError("--source analytics-engine needs CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN (Account Analytics: Read) in the environment");
    }
    try {
      return new AnalyticsEngineStatsSource({ accountId, apiToken, dataset: stringValue(values, "ae-dataset") ?? env.FLASH_AE_DATASET ?? DEFAULT_AE_DATASET });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  }
  throw new UsageError(`--source must be router or analytics-engine (got ${JSON.stringify(source)})`);
}


/**
 * `npm start`: router, blue and green on workerd (plus Redis when installed) in one command,
 * until Ctrl-C. See --help.
 */
import { parseArgs } from "node:util";
import { RegistryError } from "../../model-build/src/registry.js";
import { readDevVarsFile } from "./build.js";
import { DEFAULT_PORT, startLocalStack, type FaultOptions, type LocalStack } from "./stack.js";

const HELP = `Usage: npm start -- [options]

Starts the local FLASH stack on workerd: the router on http://localhost:${DEFAULT_PORT} in front of
the blue and green API deployments (each serving a model version from models/: the default model
on both unless --blue-model / --green-model say otherwise), and Redis behind the Upstash
REST bridge when redis-server is installed (else the API's embedded cache). Ctrl-C stops it all.

Options:
  --port <n>                        router port (default ${DEFAULT_PORT}; blue and green get port+34 and port+35)
  --host <addr>                     interface to listen on (default 127.0.0.1)
  --blue-model <version>            the model blue serves: a version in models/ (\`npm run models -- list\`),
                                    a unique prefix of one, or "default" (default: default)
  --green-model <version>           the same for green
  --green-error-rate <0..1>         green answers this share of /predict with 500
  --green-latency-ms <ms>           green adds this delay to every /predict
  --green-constant-probability <p>  green predicts p for everything
  --blue-error-rate, --blue-latency-ms, --blue-constant-probability   the same for blue
  --redis <auto|on|off>             Redis cache: auto (default) uses it when installed
  --persist                         keep the split and metrics in .wrangler/local-stack-state
  --quiet                           no per-request log lines
  -h, --help                        this help

The same settings as environment variables: FLASH_GREEN_ERROR_RATE, FLASH_GREEN_LATENCY_MS,
FLASH_GREEN_CONSTANT_PROBABILITY (and FLASH_BLUE_...), FLASH_BLUE_MODEL, FLASH_GREEN_MODEL,
FLASH_STACK_PORT, FLASH_REDIS.

Examples:
  npm start
  npm start -- --green-error-rate 0.05        # a misbehaving green for a rollback demo
  npm start -- --green-model 3f9c2a1b7d4e     # green serves a new model next to the default
  curl -H "Authorization: Bearer $FLASH_DEV_API_KEY" -H 'content-type: application/json' \\
       -d '{"total_capital_raised_usd": 1000000, "funding_stage": "seed"}' http://localhost:${DEFAULT_PORT}/predict
`;

class UsageError extends Error {}

function numberOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new UsageError(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

function faults(values: Record<string, string | boolean | undefined>, color: "blue" | "green"): FaultOptions | undefined {
  const env = process.env;
  const upper = color.toUpperCase();
  const pick = (flag: string, envName: string) => (values[`${color}-${flag}`] as string | undefined) ?? env[`FLASH_${upper}_${envName}`];
  const out: FaultOptions = {
    errorRate: numberOption(`--${color}-error-rate`, pick("error-rate", "ERROR_RATE"), 0, 1),
    latencyMs: numberOption(`--${color}-latency-ms`, pick("latency-ms", "LATENCY_MS"), 0, 30_000),
    constantProbability: numberOption(`--${color}-constant-probability`, pick("constant-probability", "CONSTANT_PROBABILITY"), 0, 1),
  };
  return Object.values(out).some((v) => v !== undefined) ? out : undefined;
}

function describeFaults(f: FaultOptions | undefined): string {
  if (!f) return "healthy";
  const parts = [];
  if (f.errorRate) parts.push(`${f.errorRate * 100}% errors`);
  if (f.latencyMs) parts.push(`+${f.latencyMs} ms`);
  if (f.constantProbability !== undefined) parts.push(`constant p=${f.constantProbability}`);
  return parts.length ? `FAULTS: ${parts.join(", ")}` : "healthy";
}

/** A documented development value is printed; a developer's own (from .dev.vars) is not. */
function shown(name: string, value: string): string {
  if (!value) return `${name} is not set (see .dev.vars.example)`;
  return value === readDevVarsFile(".dev.vars.example")[name] ? `${name}=${value}` : `${name} from .dev.vars`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const fault = { type: "string" } as const;
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: "string" },
        host: { type: "string", default: "127.0.0.1" },
        "blue-model": { type: "string" },
        "green-model": { type: "string" },
        "green-error-rate": fault,
        "green-latency-ms": fault,
        "green-constant-probability": fault,
        "blue-error-rate": fault,
        "blue-latency-ms": fault,
        "blue-constant-probability": fault,
        redis: { type: "string" },
        persist: { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  let stack: LocalStack;
  try {
    const port = numberOption("--port", values.port ?? process.env.FLASH_STACK_PORT, 0, 65_535) ?? DEFAULT_PORT;
    const redis = values.redis ?? process.env.FLASH_REDIS ?? "auto";
    if (redis !== "auto" && redis !== "on" && redis !== "off") throw new UsageError(`--redis must be auto, on or off, got ${JSON.stringify(redis)}`);
    const blueFaults = faults(values, "blue");
    const greenFaults = faults(values, "green");
    const blueModel = values["blue-model"] ?? process.env.FLASH_BLUE_MODEL;
    const greenModel = values["green-model"] ?? process.env.FLASH_GREEN_MODEL;
    const started = Date.now();
    stack = await startLocalStack({
      port,
      host: values.host,
      redis,
      blueFaults,
      greenFaults,
      ...(blueModel ? { blueModel } : {}),
      ...(greenModel ? { greenModel } : {}),
      requestLogs: !values.quiet,
      ...(values.persist ? { persistDir: ".wrangler/local-stack-state" } : {}),
      log: (m) => process.stderr.write(`  ${m}\n`),
    });
    process.stdout.write(
      [
        "",
        `FLASH local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        `  router   ${stack.routerUrl}   (POST /predict, /admin/*, /metrics, /router/health)`,
        `  blue     ${stack.blueUrl}   model ${stack.models.blue}, ${describeFaults(blueFaults)}`,
        `  green    ${stack.greenUrl}   model ${stack.models.green}, ${describeFaults(greenFaults)}`,
        `  cache    ${stack.cache === "redis" ? `Redis (redis-server behind the Upstash bridge at ${stack.redisUrl})` : "embedded in-isolate cache (no Redis)"}`,
        `  API key  ${shown("FLASH_DEV_API_KEY", stack.devApiKey)}   (Authorization: Bearer ...)`,
        `  admin    ${shown("ADMIN_TOKEN", stack.adminToken)}   (Authorization: Bearer ... on /admin and /metrics)`,
        "Ctrl-C stops everything.",
        "",
      ].join("\n"),
    );
  } catch (error) {
    process.stderr.write(`npm start failed: ${(error as Error).message}\n`);
    return error instanceof UsageError || error instanceof RegistryError ? 2 : 1;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  process.stderr.write("stopping...\n");
  await stack.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);

/**
 * `npm run redis -- [--port N] [--token T] [--json]`: start redis-server and the Upstash REST
 * bridge, print the UPSTASH_REDIS_REST_URL/TOKEN to use, and run until Ctrl-C.
 */

import { parseArgs } from "node:util";
import { startRedisStack } from "./stack.js";
import { RedisServerMissingError } from "./redis-server.js";

const HELP = `Usage: npm run redis -- [options]

Starts a throw-away redis-server (unix socket in a temp dir, no persistence) and the Upstash REST
bridge in front of it, prints the URL and token for @upstash/redis, and runs until Ctrl-C.

Options:
  --port <n>      bridge port (default 8800; 0 picks a free port)
  --host <addr>   interface to listen on (default 127.0.0.1)
  --token <t>     bearer token clients must send (default: random)
  --no-install    do not apt-get install redis-server when it is missing
  --json          print {"url","token","pid"} as one JSON line instead of text
  -h, --help      this help

Example:
  npm run redis -- --port 8800
  UPSTASH_REDIS_REST_URL=http://127.0.0.1:8800 UPSTASH_REDIS_REST_TOKEN=... npx wrangler dev
`;

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: "string", default: "8800" },
      host: { type: "string", default: "127.0.0.1" },
      token: { type: "string" },
      "no-install": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`--port must be a whole number from 0 to 65535, got ${values.port}\n`);
    return 2;
  }
  const log = (message: string) => process.stderr.write(`${message}\n`);
  let stack;
  try {
    stack = await startRedisStack({
      port,
      host: values.host,
      token: values.token,
      install: values["no-install"] ? "never" : "auto",
      log,
    });
  } catch (error) {
    if (error instanceof RedisServerMissingError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ url: stack.url, token: stack.token, pid: stack.redis.pid })}\n`);
  } else {
    process.stdout.write(
      `redis-server ${stack.redis.pid} on ${stack.redis.socketPath}\n` +
        `Upstash REST bridge on ${stack.url}\n\n` +
        `UPSTASH_REDIS_REST_URL=${stack.url}\nUPSTASH_REDIS_REST_TOKEN=${stack.token}\n\n` +
        "Ctrl-C stops both.\n",
    );
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await stack.stop();
  log("stopped redis-server and the bridge");
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

/**
 * Runs Prometheus's promtool (Debian package `prometheus`) for the monitoring checks: rule
 * syntax, rule unit tests, config validation. The tests fail, never skip, when it is missing,
 * with a message that says how to install it.
 */
import { spawn, spawnSync } from "node:child_process";

export const PROMTOOL_INSTALL_HINT =
  "install it with `apt-get install prometheus` (the Debian package ships promtool), or set PROMTOOL to its path";

export class PromtoolMissingError extends Error {
  constructor(command: string) {
    super(`promtool not found (tried \`${command}\`): ${PROMTOOL_INSTALL_HINT}`);
    this.name = "PromtoolMissingError";
  }
}

export interface PromtoolOptions {
  /** Working directory; relative paths in the arguments resolve against it. */
  readonly cwd?: string;
  /** Environment for the lookup and the run (default: process.env). PROMTOOL overrides the command. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

export interface PromtoolResult {
  readonly ok: boolean;
  readonly status: number | null;
  /** stdout and stderr together, as promtool printed them. */
  readonly output: string;
}

/** Runs `promtool <args>`; throws PromtoolMissingError when the command cannot be started. */
export function runPromtool(args: readonly string[], options: PromtoolOptions = {}): PromtoolResult {
  const env = options.env ?? process.env;
  const command = env.PROMTOOL || "promtool";
  const run = spawnSync(command, [...args], {
    cwd: options.cwd,
    env,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 60_000,
  });
  if (run.error) {
    if ((run.error as NodeJS.ErrnoException).code === "ENOENT") throw new PromtoolMissingError(command);
    throw run.error;
  }
  const output = `${run.stdout ?? ""}${run.stderr ?? ""}`.trim();
  return { ok: run.status === 0, status: run.status, output };
}

/** runPromtool without blocking: for several runs side by side. */
export function runPromtoolAsync(args: readonly string[], options: PromtoolOptions = {}): Promise<PromtoolResult> {
  const env = options.env ?? process.env;
  const command = env.PROMTOOL || "promtool";
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env, timeout: options.timeoutMs ?? 60_000 });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.on("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" ? new PromtoolMissingError(command) : error));
    child.on("close", (status) => resolve({ ok: status === 0, status, output: output.trim() }));
  });
}

/** promtool's version, e.g. "2.42.0" (throws PromtoolMissingError when it is not installed). */
export function promtoolVersion(options: PromtoolOptions = {}): string {
  const result = runPromtool(["--version"], options);
  const match = /version (\d+\.\d+\.\d+)/.exec(result.output);
  if (!result.ok || !match) throw new Error(`could not read promtool's version: ${result.output}`);
  return match[1]!;
}

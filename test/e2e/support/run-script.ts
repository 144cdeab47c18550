/**
 * Runs an operator script the way an operator does (`npm run <name>` is `tsx scripts/<name>.ts`),
 * in the background, collecting its JSON events and its exit code.
 */

import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..", "..");
const TSX = join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");

export interface ScriptRun {
  child: ChildProcess;
  /** Every stdout line parsed as JSON (lines that are not JSON are kept in `stdout`). */
  events: Array<Record<string, unknown>>;
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code. */
  done: Promise<number>;
  /** Resolves with the first event matching `pred`. */
  waitFor(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function startScript(name: string, args: string[], env: Record<string, string>): ScriptRun {
  const child = spawn(process.execPath, [TSX, join(REPO_ROOT, "scripts", `${name}.ts`), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run: ScriptRun = {
    child,
    events: [],
    stdout: [],
    stderr: [],
    done: new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1))),
    waitFor(pred, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          const hit = run.events.find(pred);
          if (hit) return resolve(hit);
          if (child.exitCode !== null) return reject(new Error(`${name} exited (${child.exitCode}) before the awaited event; stderr: ${run.stderr.join("")}`));
          if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for an event from ${name}`));
          setTimeout(tick, 100);
        };
        tick();
      });
    },
  };
  let buffer = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buffer += chunk;
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      run.stdout.push(line);
      try {
        run.events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // human output: kept in stdout
      }
      nl = buffer.indexOf("\n");
    }
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => run.stderr.push(chunk));
  return run;
}

export async function runScript(name: string, args: string[], env: Record<string, string>): Promise<{ code: number; events: Array<Record<string, unknown>>; stdout: string; stderr: string }> {
  const run = startScript(name, args, env);
  const code = await run.done;
  return { code, events: run.events, stdout: run.stdout.join("\n"), stderr: run.stderr.join("") };
}
